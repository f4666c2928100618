/**
 * The API's response envelope, as ISOMan's clients read it: `{"success":true,"data":…,"message"?}` or
 * `{"success":false,"error":{"code","message","details"?},"data"?}`. `details` is a string (ISOMan's Go client
 * decodes it into one); isoman adds `error.fields`, one `{field, message}` per bad field.
 */
import type {ServerResponse} from 'node:http';
import {redactUrlsIn} from '../../core/index.js';

export const ERROR_STATUS = {
	VALIDATION_FAILED: 400,
	BAD_REQUEST: 400,
	INVALID_STATE: 400,
	UNAUTHORIZED: 401,
	NOT_FOUND: 404,
	CONFLICT: 409,
	PAYLOAD_TOO_LARGE: 413,
	RATE_LIMITED: 429,
	INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error answered with its code's status and the envelope. */
export class ApiError extends Error {
	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly extra: {details?: string; fields?: ReadonlyArray<{field: string; message: string}>; data?: unknown; headers?: Record<string, string>} = {},
	) {
		super(message);
		this.name = 'ApiError';
	}

	get status(): number {
		return ERROR_STATUS[this.code];
	}
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': String(Buffer.byteLength(text)),
		'Cache-Control': 'no-store',
		...headers,
	});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendOk(res: ServerResponse, status: number, data: unknown, message?: string): void {
	sendJson(res, status, {success: true, ...(data === undefined ? {} : {data}), ...(message ? {message} : {})});
}

export function sendError(res: ServerResponse, error: ApiError): void {
	const {details, data, headers} = error.extra;
	// Messages quote what was sent (a URL, say): a password in it never comes back.
	const fields = error.extra.fields?.map(f => ({field: f.field, message: redactUrlsIn(f.message)}));
	sendJson(
		res,
		error.status,
		{
			success: false,
			error: {code: error.code, message: redactUrlsIn(error.message), ...(details ? {details: redactUrlsIn(details)} : {}), ...(fields ? {fields} : {})},
			...(data === undefined ? {} : {data}),
		},
		headers,
	);
}
