/**
 * Small text downloads (checksum files) with the same retry rules as image transfers, a size cap and a
 * stall watchdog.
 */
import type {Logger} from '../types.js';
import {backoffDelay, IdleWatchdog, isRetryableStatus, parseRetryAfter, sleep} from './backoff.js';
import {formatBytesExact} from '../format-bytes.js';
import {RetryableFailure, TransferError, statusMessage, toRetryable} from './errors.js';
import {discardBody, header, type HttpClient, type HttpResponse} from './http.js';

export type FetchTextOptions = {
	/** Refuse bodies larger than this (default 1 MiB). */
	maxBytes?: number;
	/** Retries after the first attempt fails (network errors, 408/425/429/5xx). */
	retries: number;
	backoff: {baseMs: number; maxMs: number};
	signal?: AbortSignal;
	log: Logger;
	/** No byte for this long fails the attempt (retried); default 30 s, 0 disables. */
	stallTimeoutMs?: number;
};

export const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024;

export async function fetchText(client: HttpClient, url: string, options: FetchTextOptions): Promise<{text: string; finalUrl: string; bytes: Buffer}> {
	const maxBytes = options.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
	const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
	const {signal} = options;
	const log = options.log.child({url});
	let failures = 0;
	for (;;) {
		signal?.throwIfAborted();
		let stalled = false;
		const controller = new AbortController();
		const forward = () => controller.abort(signal?.reason);
		signal?.addEventListener('abort', forward, {once: true});
		const watchdog =
			stallTimeoutMs > 0
				? new IdleWatchdog(stallTimeoutMs, () => {
						stalled = true;
						controller.abort(new Error(`no data for ${stallTimeoutMs / 1000} s`));
					})
				: undefined;
		let body: HttpResponse['body'] | undefined;
		let delayMs: number;
		try {
			const res = await client.request(url, {headers: {accept: 'text/plain, */*'}, signal: controller.signal});
			body = res.body;
			body.on('error', () => undefined);
			watchdog?.touch();
			const status = res.statusCode;
			if (status < 200 || status > 299 || status === 206) {
				discardBody(body);
				const message = statusMessage(status, res.url, url);
				if (isRetryableStatus(status)) {
					const retryAfterMs = parseRetryAfter(header(res.headers, 'retry-after'));
					throw new RetryableFailure('http_status', message, {status, ...(retryAfterMs === undefined ? {} : {retryAfterMs})});
				}

				throw new TransferError('http_status', message, {status});
			}

			const tooLarge = (what: string) =>
				new TransferError('content', `${res.url} is too large for a checksum file: ${what}, the limit is ${formatBytesExact(maxBytes)}`);
			const declared = header(res.headers, 'content-length');
			if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
				discardBody(body);
				throw tooLarge(`the server says ${formatBytesExact(Number(declared))}`);
			}

			const chunks: Buffer[] = [];
			let length = 0;
			for await (const chunk of body as AsyncIterable<Buffer>) {
				watchdog?.touch();
				length += chunk.length;
				if (length > maxBytes) throw tooLarge(`more than ${formatBytesExact(maxBytes)} arrived`);
				chunks.push(chunk);
			}

			// The bytes as they came, for a signature over them (the text replaces invalid UTF-8).
			const bytes = Buffer.concat(chunks, length);
			const text = new TextDecoder('utf-8').decode(bytes);
			return {text, finalUrl: res.url, bytes};
		} catch (error) {
			if (signal?.aborted) throw signal.reason;
			if (error instanceof TransferError) throw error;
			const failure = stalled ? new RetryableFailure('network', `stalled: no data for ${stallTimeoutMs / 1000} s`) : toRetryable(error);
			failures++;
			if (failures > options.retries) {
				throw new TransferError(
					failure.kind,
					`gave up on ${url} after ${failures} attempt${failures === 1 ? '' : 's'}; last error: ${failure.message}`,
					{...(failure.status === undefined ? {} : {status: failure.status}), cause: error},
				);
			}

			delayMs = failure.retryAfterMs ?? backoffDelay(failures, options.backoff);
			log.warn('fetch.retry', {attempt: failures, reason: failure.message, delayMs});
		} finally {
			watchdog?.stop();
			signal?.removeEventListener('abort', forward);
			if (body && !body.destroyed && !body.readableEnded) discardBody(body);
		}

		await sleep(delayMs, signal);
	}
}
