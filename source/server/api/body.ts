/**
 * Request bodies: JSON only, at most 64 KiB. A larger body is refused from its Content-Length before a byte is
 * read, or as soon as the running count passes the cap (413); anything that is not one JSON object is a 400 that
 * says what is wrong. ISOMan parsed the body whatever its Content-Type, and scripts rely on that (`curl -d`),
 * so the type is not required; a body that is not JSON is refused whatever it claims to be.
 */
import type {IncomingMessage} from 'node:http';
import {ApiError} from './envelope.js';

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads the whole body (bounded). Resolves '' for a request without one. */
export async function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
	const declared = req.headers['content-length'];
	if (declared !== undefined && Number(declared) > max) {
		throw new ApiError('PAYLOAD_TOO_LARGE', `request body is ${declared} bytes; the limit is ${max} bytes (64 KiB)`, {headers: {Connection: 'close'}});
	}

	return new Promise<string>((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let done = false;
		const finish = (error?: ApiError) => {
			if (done) return;
			done = true;
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			req.off('aborted', onAborted);
			req.socket.off('end', onAborted);
			if (error) {
				// Stop reading: whatever else the client sends is discarded with the connection.
				req.resume();
				reject(error);
			} else {
				resolve(Buffer.concat(chunks).toString('utf8'));
			}
		};

		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > max) finish(new ApiError('PAYLOAD_TOO_LARGE', `request body is over the limit of ${max} bytes (64 KiB)`, {headers: {Connection: 'close'}}));
			else chunks.push(chunk);
		};

		const onEnd = () => finish();
		const onError = () => finish(new ApiError('BAD_REQUEST', 'request body: the connection failed before the body was complete'));
		const onAborted = () => finish(new ApiError('BAD_REQUEST', 'request body: truncated (the client stopped sending before the body was complete)', {headers: {Connection: 'close'}}));
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
		req.on('aborted', onAborted);
		// A client that half-closes its side mid-body will never send the rest: answer now instead of waiting.
		req.socket.once('end', onAborted);
	});
}

/** The body as a JSON object; an empty body is `{}` only when `allowEmpty`. */
export async function readJsonObject(req: IncomingMessage, {allowEmpty = false} = {}): Promise<Record<string, unknown>> {
	const text = await readBody(req);
	if (text.trim() === '') {
		if (allowEmpty) return {};
		throw new ApiError('BAD_REQUEST', 'request body: expected a JSON object, got an empty body');
	}

	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		const reason = error instanceof SyntaxError ? error.message : 'malformed';
		throw new ApiError('BAD_REQUEST', `request body is not valid JSON: ${reason.slice(0, 200)}`);
	}

	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw new ApiError('BAD_REQUEST', `request body: expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
	}

	return value as Record<string, unknown>;
}
