/**
 * Small response helpers shared by every route: the JSON envelope (`{"success":true,"data"}` /
 * `{"success":false,"error":{"code","message"}}`), the headers every response carries, and CORS.
 */
import type {IncomingMessage, ServerResponse} from 'node:http';

export type ErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_ERROR' | 'RANGE_NOT_SATISFIABLE';

/** On every response, whoever answers it. */
export function setCommonHeaders(res: ServerResponse): void {
	res.setHeader('X-Content-Type-Options', 'nosniff');
	res.setHeader('Referrer-Policy', 'no-referrer');
	res.setHeader('X-Frame-Options', 'DENY');
}

/** Headers a browser may read from another origin (CORS), for range requests and integrity checks. */
const EXPOSED = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Repr-Digest, Content-Disposition';

/**
 * CORS for the origins `--cors-origin` lists (none by default: no CORS header at all). Returns true when the request
 * was a preflight and has been answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
	const origin = req.headers.origin;
	const ok = origin !== undefined && allowed.length > 0 && (allowed.includes('*') || allowed.includes(origin));
	if (allowed.length > 0) res.setHeader('Vary', 'Origin');
	if (!ok) return false;
	res.setHeader('Access-Control-Allow-Origin', allowed.includes('*') ? '*' : origin);
	res.setHeader('Access-Control-Expose-Headers', EXPOSED);
	if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
		res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, DELETE, OPTIONS');
		res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Range, If-Range, If-None-Match, If-Modified-Since');
		res.setHeader('Access-Control-Max-Age', '600');
		res.writeHead(204).end();
		return true;
	}

	return false;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		'Cache-Control': 'no-store',
		...headers,
	});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
	if (res.headersSent) {
		res.destroy();
		return;
	}

	sendJson(res, status, {success: false, error: {code, message}}, headers);
}

/** 301 to `location` (a path the server made, already encoded). */
export function redirect(res: ServerResponse, location: string): void {
	const text = `Moved to ${location}\n`;
	res.writeHead(301, {Location: location, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text)});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** The answer for a socket refused before HTTP parsing (over the connection cap, on an upgrade). */
export function rawResponse(status: number, reason: string, message: string): string {
	const body = JSON.stringify({success: false, error: {code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'NOT_FOUND', message}});
	return (
		`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
		`X-Content-Type-Options: nosniff\r\nConnection: close\r\n${status === 503 ? 'Retry-After: 5\r\n' : ''}\r\n${body}`
	);
}
