/**
 * Errors of the download layer. A `TransferError` is final for the transfer (the manager records its code and
 * message on the row). A `RetryableFailure` is internal: one attempt failed in a way that is worth retrying.
 * Aborts (pause/cancel) are neither: the AbortSignal's reason is rethrown as is.
 */
import {STATUS_CODES} from 'node:http';
import {IsomanError, type ErrorCode} from '../types.js';

export type TransferErrorCode = Extract<
	ErrorCode,
	'http_status' | 'network' | 'content' | 'disk_full' | 'io' | 'too_many_redirects' | 'size_mismatch' | 'corrupt'
>;

export class TransferError extends IsomanError {
	declare readonly code: TransferErrorCode;
	/** The HTTP status that caused the failure, for `http_status`. */
	readonly status?: number;

	constructor(code: TransferErrorCode, message: string, options: {status?: number; cause?: unknown} = {}) {
		super(code, message);
		this.name = 'TransferError';
		if (options.status !== undefined) this.status = options.status;
		if (options.cause !== undefined) (this as {cause?: unknown}).cause = options.cause;
	}
}

/** The failure code of a part write that found the part's size changed by someone else (the transfer fails `corrupt`). */
export const CHANGED_BEHIND_OUR_BACK = 'ISOMAN_PART_CHANGED';

/** One attempt failed; the caller may retry (after `retryAfterMs` when the server asked for it). */
export class RetryableFailure extends Error {
	readonly kind: 'network' | 'http_status';
	readonly status?: number;
	readonly retryAfterMs?: number;

	constructor(kind: 'network' | 'http_status', message: string, options: {status?: number; retryAfterMs?: number; cause?: unknown} = {}) {
		super(message);
		this.name = 'RetryableFailure';
		this.kind = kind;
		if (options.status !== undefined) this.status = options.status;
		if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
		if (options.cause !== undefined) (this as {cause?: unknown}).cause = options.cause;
	}
}

/** `HTTP 404 Not Found from <url>` (plus where it was redirected from, when it was). */
export function statusMessage(status: number, url: string, requestedUrl?: string): string {
	const text = STATUS_CODES[status];
	const from = requestedUrl && requestedUrl !== url ? ` (redirected from ${requestedUrl})` : '';
	return `HTTP ${status}${text ? ' ' + text : ''} from ${url}${from}`;
}

/** A short description of a network-level error (undici, socket, DNS), with its code and cause. */
export function describeNetworkError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const code = (error as {code?: unknown}).code;
	let text = typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
	const cause = (error as {cause?: unknown}).cause;
	if (cause instanceof Error && cause.message && !text.includes(cause.message)) {
		const causeCode = (cause as {code?: unknown}).code;
		text += ` (${typeof causeCode === 'string' && !cause.message.includes(causeCode) ? causeCode + ': ' : ''}${cause.message})`;
	}

	return text || error.name;
}

/** Wraps any error that escaped an attempt (and is not an abort or a TransferError) as a retryable network failure. */
export function toRetryable(error: unknown): RetryableFailure {
	if (error instanceof RetryableFailure) return error;
	return new RetryableFailure('network', describeNetworkError(error), {cause: error});
}
