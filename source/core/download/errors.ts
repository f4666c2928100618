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

/** OpenSSL/Node codes of a certificate the client does not trust: retrying cannot help. */
const TLS_CERTIFICATE_CODES = new Set([
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'CERT_REVOKED',
	'CERT_UNTRUSTED',
	'CERT_REJECTED',
	'CERT_SIGNATURE_FAILURE',
	'INVALID_CA',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'HOSTNAME_MISMATCH',
]);

/**
 * A final error for a TLS certificate the client rejects (self-signed, unknown CA, expired, wrong host name), with
 * what to do about it; undefined for any other error. Looks through `cause` chains (undici wraps socket errors).
 */
export function tlsCertificateFailure(error: unknown, url: string): TransferError | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
		const code = (current as {code?: unknown}).code;
		if (typeof code === 'string' && TLS_CERTIFICATE_CODES.has(code)) {
			const hint =
				code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
					? 'check the server\'s certificate dates and this machine\'s clock'
					: code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
						? 'the certificate is for another host name: use the name it was issued for'
						: 'if the server uses a private or self-signed CA, start isoman with NODE_EXTRA_CA_CERTS=/path/to/ca.pem';
			return new TransferError('network', `TLS certificate error from ${url}: ${code} (${current.message}); ${hint}`, {cause: error});
		}

		current = (current as {cause?: unknown}).cause;
	}

	return undefined;
}

/** Wraps any error that escaped an attempt (and is not an abort or a TransferError) as a retryable network failure. */
export function toRetryable(error: unknown): RetryableFailure {
	if (error instanceof RetryableFailure) return error;
	return new RetryableFailure('network', describeNetworkError(error), {cause: error});
}
