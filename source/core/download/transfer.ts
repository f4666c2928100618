/**
 * Gets the right bytes into a `.part` file (invariant 3, §4): resume with Range + If-Range from the
 * part's real size (re-hashing what is there first), hash while writing, retry with backoff, recover from stalls,
 * refuse content that is not what it claims, and fail clearly when the disk is full.
 *
 * Write path (part-file.ts): each body chunk handed over by undici's parser (HttpClient.stream: no stream, no
 * async iterator, no promise per chunk unless something must be waited for), appended in ~1 MiB batches with one
 * writev each (copied into a reused buffer while other transfers run), at most one write in flight; the hashing
 * thread reads the written bytes back and hashes them on the other core. Memory stays flat: a full batch waits for
 * the previous write, and the parser (so the socket) is paused meanwhile.
 */
import fs, {type FileHandle} from 'node:fs/promises';
import {constants as fsConstants} from 'node:fs';
import {dirname} from 'node:path';
import type {ChecksumAlgorithm, Logger} from '../types.js';
import {changedBehindOurBack, O_NOFOLLOW, SymlinkError} from '../safe-fs.js';
import {bytesNeeded, checkContent} from './magic.js';
import {backoffDelay, IdleWatchdog, isRetryableStatus, parseRetryAfter, sleep} from './backoff.js';
import {formatBytesExact as formatBytes} from '../format-bytes.js';
import {freeSpace} from '../free-space.js';
import {CHANGED_BEHIND_OUR_BACK, RetryableFailure, TransferError, describeNetworkError, statusMessage, tlsCertificateFailure} from './errors.js';
import {header, type BodySink, type DirectBody, type HttpClient, type HttpResponse} from './http.js';
import {PartFile} from './part-file.js';

export type TransferOptions = {
	client: HttpClient;
	url: string;
	partPath: string;
	/** `iso`, `qcow2.xz`, … (decides the magic number checked at offset 0). */
	fileType: string;
	algorithm: ChecksumAlgorithm;
	/** Stored from an earlier attempt, for If-Range. */
	validator?: {etag: string | null; lastModified: string | null};
	signal: AbortSignal;
	/** No byte for this long drops the connection and resumes (0 disables the watchdog). */
	stallTimeoutMs: number;
	/** Consecutive attempts without progress allowed after the first one fails. */
	retries: number;
	backoff: {baseMs: number; maxMs: number};
	log: Logger;
	/** Called after each batch is written, with the part's size; the caller throttles. */
	onProgress?: (p: {downloaded: number; total: number | null}) => void;
	/** Called for each response that will be used (200, 206, or a 416 that proves the part complete). */
	onMeta?: (m: {total: number | null; etag: string | null; lastModified: string | null; finalUrl: string}) => void;
	/**
	 * Called before each retry. `attempt` counts consecutive attempts without progress (1 = the first retry since
	 * the last progress); for a stall after progress it is 0 and `delayMs` is 0.
	 */
	onRetry?: (info: {attempt: number; reason: string; delayMs: number; stalled: boolean}) => void;
	/** Size the file must have (e.g. a checksum file's size hint). */
	expectedSize?: number | null;
	/** Resolves when `bytes` more may be taken in (the bandwidth limits, rate-limit.ts); absent = no limit. */
	rateLimit?: (bytes: number, signal: AbortSignal) => Promise<void>;
};

export type TransferResult = {
	/** Digest of every byte in the part, in `algorithm`. */
	hex: string;
	bytes: number;
	/** The .part's identity when the transfer ended (checked again before it is renamed into place). */
	file: {dev: number; ino: number};
	finalUrl: string;
	etag: string | null;
	lastModified: string | null;
};

/**
 * Bytes taken from the bandwidth limit at a time: a socket read (up to 1 MiB, large-reads.ts) passes in pieces of
 * this size, so a limited transfer writes as smoothly as with 64 KiB reads.
 */
const RATE_PIECE_BYTES = 64 * 1024;

/** Immediate restarts (new request, nothing written) in a row before giving up. */
const MAX_RESTARTS_WITHOUT_DATA = 3;

function errnoCode(error: unknown): string | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	return typeof code === 'string' ? code : undefined;
}

function ioError(what: string, error: unknown): TransferError {
	const message = error instanceof Error ? error.message : String(error);
	return new TransferError('io', `${what}: ${message}`, {cause: error});
}

async function writeError(path: string, error: unknown): Promise<TransferError> {
	if (errnoCode(error) === 'ENOSPC' || errnoCode(error) === 'EDQUOT') {
		const free = await freeSpace(dirname(path));
		const freeText = free === undefined ? '' : `: ${formatBytes(free)} free`;
		return new TransferError('disk_full', `disk full while writing ${path}${freeText}`, {cause: error});
	}

	return ioError(`writing ${path}`, error);
}

// ---------------------------------------------------------------------------------------------------------------------
// Header parsing

type ContentRange = {start: number; end: number; total: number | null} | {start: null; end: null; total: number};

/** `bytes 10-99/100`, `bytes 10-99/*` or `bytes *\/100`; undefined when malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
	if (!value) return undefined;
	const unsatisfied = /^\s*bytes\s+\*\s*\/\s*(\d+)\s*$/i.exec(value);
	if (unsatisfied) return {start: null, end: null, total: Number(unsatisfied[1])};
	const m = /^\s*bytes\s+(\d+)\s*-\s*(\d+)\s*\/\s*(\d+|\*)\s*$/i.exec(value);
	if (!m) return undefined;
	const start = Number(m[1]);
	const end = Number(m[2]);
	const total = m[3] === '*' ? null : Number(m[3]);
	if (end < start || (total !== null && end >= total)) return undefined;
	return {start, end, total};
}

function contentLength(res: Pick<HttpResponse, 'headers'>): number | null {
	const value = header(res.headers, 'content-length');
	if (value === undefined || !/^\s*\d+\s*$/.test(value)) return null;
	return Number(value);
}

function isHtmlType(contentType: string | undefined): boolean {
	const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
	return mime === 'text/html' || mime === 'application/xhtml+xml';
}

/** If-Range needs a strong ETag; a weak one cannot be used, so fall back to Last-Modified. */
function ifRangeValue(v: {etag: string | null; lastModified: string | null}): string | undefined {
	if (v.etag && !v.etag.startsWith('W/')) return v.etag;
	return v.lastModified ?? undefined;
}

class StallError extends Error {
	constructor(ms: number) {
		super(`no data for ${ms / 1000} s`);
		this.name = 'StallError';
	}
}

// ---------------------------------------------------------------------------------------------------------------------

async function openPart(path: string): Promise<FileHandle> {
	try {
		// O_NOFOLLOW: a link planted at the .part's name is refused, never appended through (the caller checked
		// that images/.tmp itself is a real directory).
		// eslint-disable-next-line no-bitwise
		return await fs.open(path, fsConstants.O_RDWR | fsConstants.O_CREAT | O_NOFOLLOW, 0o600);
	} catch (error) {
		if (errnoCode(error) === 'ELOOP') throw new TransferError('io', new SymlinkError(path).message, {cause: error});
		throw ioError(`opening ${path}`, error);
	}
}

export async function transfer(opts: TransferOptions): Promise<TransferResult> {
	const {signal} = opts;
	signal.throwIfAborted();
	const fh = await openPart(opts.partPath);
	let closed = false;
	try {
		const result = await run(opts, fh);
		// The bytes hashed are the file at the .part's name: same inode, exactly that size.
		const changed = await changedBehindOurBack(fh, opts.partPath, result.bytes);
		if (changed) throw new TransferError('corrupt', `${changed}: the download is discarded`);
		try {
			await fh.sync();
			closed = true;
			await fh.close();
		} catch (error) {
			throw ioError(`flushing ${opts.partPath}`, error);
		}

		return result;
	} finally {
		if (!closed) await fh.close().catch(() => undefined);
	}
}

async function run(opts: TransferOptions, fh: FileHandle): Promise<TransferResult> {
	const {signal, partPath, url} = opts;
	const log = opts.log.child({url, part: partPath});

	// The part's real size is the truth (invariant 3): hash what is there before appending.
	let size: number;
	let opened: {dev: number; ino: number};
	try {
		const stat = await fh.stat();
		size = stat.size;
		opened = {dev: stat.dev, ino: stat.ino};
	} catch (error) {
		throw ioError(`reading ${partPath}`, error);
	}

	// The bytes already there are hashed by the hashing thread while the download goes on (part-file.ts).
	const part = new PartFile({
		fh,
		algorithm: opts.algorithm,
		size,
		toError: async failure => {
			const error = Object.assign(new Error(failure.message), {code: failure.code});
			if (failure.code === CHANGED_BEHIND_OUR_BACK) return new TransferError('corrupt', `${partPath} ${failure.message}: the download is discarded`);
			if (failure.during === 'write') return writeError(partPath, error);
			return ioError(`${failure.during === 'read' ? 'reading' : 'emptying'} ${partPath}`, error);
		},
	});
	if (size > 0) log.debug('download.resumed', {bytes: size});
	try {
		return await download(opts, log, part, opened);
	} finally {
		await part.close();
	}
}

async function download(opts: TransferOptions, log: Logger, part: PartFile, opened: {dev: number; ino: number}): Promise<TransferResult> {
	const {signal, partPath, fileType, url} = opts;
	let total: number | null = null;
	const size = part.written;
	part.onWritten = written => opts.onProgress?.({downloaded: written, total});
	const validator = {etag: opts.validator?.etag ?? null, lastModified: opts.validator?.lastModified ?? null};
	const expectedSize = opts.expectedSize ?? null;
	let finalUrl = url;
	let failures = 0;
	let highWater = size;
	let restarts = 0;

	const result = async (): Promise<TransferResult> => ({
		hex: await part.digest(signal),
		bytes: part.written,
		file: opened,
		finalUrl,
		etag: validator.etag,
		lastModified: validator.lastModified,
	});

	async function ensureSpace(needed: number): Promise<void> {
		if (needed <= 0) return;
		const dir = dirname(partPath);
		const free = await freeSpace(dir);
		if (free !== undefined && free < needed) {
			throw new TransferError('disk_full', `not enough free space: needs ${formatBytes(needed)}, only ${formatBytes(free)} free on ${dir}`);
		}
	}

	/** One request. Resolves 'done' when the part is complete, 'restart' to send a new request at once. */
	async function attempt(state: {stalled: boolean}): Promise<'done' | 'restart'> {
		const controller = new AbortController();
		const forward = () => controller.abort(signal.reason);
		signal.addEventListener('abort', forward, {once: true});
		const watchdog =
			opts.stallTimeoutMs > 0
				? new IdleWatchdog(opts.stallTimeoutMs, () => {
						state.stalled = true;
						controller.abort(new StallError(opts.stallTimeoutMs));
					})
				: undefined;
		let body: DirectBody | undefined;
		try {
			const offset = part.written;
			const headers: Record<string, string> = {};
			if (offset > 0) {
				headers.range = `bytes=${offset}-`;
				const ifRange = ifRangeValue(validator);
				if (ifRange) headers['if-range'] = ifRange;
			}

			log.debug('download.request', {offset, ifRange: headers['if-range']});
			const res = await opts.client.stream(url, {headers, signal: controller.signal});
			body = res.body;
			watchdog?.touch();
			finalUrl = res.url;
			const status = res.statusCode;
			const etag = header(res.headers, 'etag') ?? null;
			const lastModified = header(res.headers, 'last-modified') ?? null;

			if (status === 416) {
				body.discard();
				const range = parseContentRange(header(res.headers, 'content-range'));
				if (offset > 0 && range?.start === null && range.total === offset) {
					if (expectedSize !== null && offset !== expectedSize) {
						throw new TransferError('size_mismatch', `${partPath} holds ${formatBytes(offset)}, which the server says is all of ${finalUrl}, but ${formatBytes(expectedSize)} were expected`);
					}

					log.info('download.already_complete', {bytes: offset});
					if (etag) validator.etag = etag;
					if (lastModified) validator.lastModified = lastModified;
					total = offset;
					opts.onMeta?.({total, etag: validator.etag, lastModified: validator.lastModified, finalUrl});
					return 'done';
				}

				if (offset > 0) {
					log.warn('download.restart', {reason: `416 to a range from ${offset}; server size ${range?.total ?? 'unknown'}`});
					await part.truncate();
					return 'restart';
				}

				throw new TransferError('http_status', statusMessage(status, finalUrl, url), {status});
			}

			if (status !== 200 && status !== 206) {
				body.discard();
				const message = statusMessage(status, finalUrl, url);
				if (isRetryableStatus(status)) {
					const retryAfterMs = parseRetryAfter(header(res.headers, 'retry-after'));
					throw new RetryableFailure('http_status', message, {status, ...(retryAfterMs === undefined ? {} : {retryAfterMs})});
				}

				throw new TransferError('http_status', message, {status});
			}

			// A Content-Encoding means the server re-encoded the file on the fly: those bytes are not the file (a
			// `.gz` image labelled `gzip` is the exception: its bytes are the file, as they are on the mirror).
			const encoding = header(res.headers, 'content-encoding')?.trim().toLowerCase();
			if (encoding && encoding !== 'identity' && !(fileType.endsWith('.gz') && (encoding === 'gzip' || encoding === 'x-gzip'))) {
				throw new TransferError(
					'content',
					`refusing ${finalUrl}: the server sent it with Content-Encoding: ${encoding} (compressed on the fly, although isoman asked for identity), so the bytes are not the file itself and could be neither resumed nor verified; the mirror must serve it as it is`,
				);
			}

			let responseTotal: number | null;
			/** End (exclusive) of a 206's range: a server may send less than the open range asked for. */
			let rangeEnd: number | null = null;
			/** A 200 to a range request: the part is emptied, but only once the new content passes the check. */
			let restartPending = false;
			if (status === 206) {
				const range = parseContentRange(header(res.headers, 'content-range'));
				let why: string | undefined;
				if (!range || range.start === null) {
					why = `206 with an unusable Content-Range (${header(res.headers, 'content-range') ?? 'none'})`;
				} else if (range.start !== offset) {
					why = `asked for bytes from ${offset}, got Content-Range ${header(res.headers, 'content-range')!}`;
				} else if (offset > 0 && validator.etag && etag && etag !== validator.etag) {
					why = `ETag changed from ${validator.etag} to ${etag}`;
				} else if (offset > 0 && !validator.etag && !etag && validator.lastModified && lastModified && lastModified !== validator.lastModified) {
					why = `Last-Modified changed from ${validator.lastModified} to ${lastModified}`;
				} else if (offset > 0 && total !== null && range.total !== null && range.total !== total) {
					why = `size changed from ${total} to ${range.total}`;
				}

				if (why || !range || range.start === null) {
					body.discard();
					log.warn('download.restart', {reason: why});
					validator.etag = etag;
					validator.lastModified = lastModified;
					if (part.written > 0) await part.truncate();
					return 'restart';
				}

				responseTotal = range.total;
				rangeEnd = range.end + 1;
			} else {
				restartPending = offset > 0;
				responseTotal = contentLength(res);
			}

			validator.etag = etag;
			validator.lastModified = lastModified;
			total = responseTotal;
			if (total !== null && expectedSize !== null && total !== expectedSize) {
				throw new TransferError('size_mismatch', `${finalUrl} is ${formatBytes(total)} but ${formatBytes(expectedSize)} were expected`);
			}

			opts.onMeta?.({total, etag, lastModified, finalUrl});
			const limit = total ?? expectedSize;
			if (limit !== null) await ensureSpace(limit - part.written);

			// Content check before the first byte at offset 0 is written; an HTML page is refused anywhere.
			const contentType = header(res.headers, 'content-type');
			let checking = part.written === 0 || restartPending || isHtmlType(contentType);
			const need = bytesNeeded(fileType);
			let head: Buffer[] = [];
			let headBytes = 0;
			const check = async () => {
				const bytes = Buffer.concat(head, headBytes);
				const problem = checkContent(bytes.subarray(0, need), fileType, contentType);
				if (problem) throw new TransferError('content', `refusing ${finalUrl}: ${problem}`);
				if (restartPending) {
					log.info('download.restart', {reason: `the server answered a range request from ${offset} with the whole file (200); starting over from 0`});
					await part.truncate();
					restartPending = false;
				}

				checking = false;
				const chunks = head;
				head = [];
				headBytes = 0;
				for (const chunk of chunks) await part.append(chunk);
			};

			/** Set when a 206 sent more than its Content-Range: the excess is never written. */
			let overran = false;
			/** The chunk taken in: held for the content check, or appended (waiting only when a batch must wait). */
			const take = (chunk: Buffer): Promise<void> | undefined => {
				if (checking) {
					head.push(chunk);
					headBytes += chunk.length;
					if (headBytes < need) return undefined;
					watchdog?.pause();
					return check().then(() => watchdog?.resume());
				}

				const waiting = chunk.length > 0 ? part.append(chunk) : undefined;
				if (!waiting) return undefined;
				watchdog?.pause();
				return waiting.then(() => watchdog?.resume());
			};

			/** The chunk through the bandwidth limit in pieces, each taken in once it may pass (a socket read can be 1 MiB). */
			const limited = async (chunk: Buffer, rateLimit: NonNullable<TransferOptions['rateLimit']>): Promise<void> => {
				let from = 0;
				do {
					const piece = chunk.subarray(from, from + RATE_PIECE_BYTES);
					// Waiting for the limit is not a stall: the socket is not read meanwhile, on purpose.
					watchdog?.pause();
					await rateLimit(piece.length, controller.signal);
					watchdog?.resume();
					await take(piece);
					from += piece.length;
				} while (from < chunk.length);
			};

			// Each chunk straight from the parser (http.ts): a promise only when something must be waited for.
			const sink: BodySink = received => {
				watchdog?.touch();
				let chunk = received;
				if (rangeEnd !== null && part.accepted + headBytes + chunk.length > rangeEnd) {
					overran = true;
					chunk = chunk.subarray(0, Math.max(0, rangeEnd - part.accepted - headBytes));
				}

				if (limit !== null && (restartPending ? 0 : part.accepted) + headBytes + chunk.length > limit) {
					throw new TransferError(
						'size_mismatch',
						`${finalUrl} sent more than ${total === null ? 'the expected' : 'the declared'} ${formatBytes(limit)}`,
					);
				}

				const waiting = opts.rateLimit ? limited(chunk, opts.rateLimit) : take(chunk);
				return waiting ? waiting.then(() => !overran) : !overran;
			};

			await body.consume(sink);

			if (overran) log.warn('download.range_overrun', {end: rangeEnd, reason: 'the 206 body ran past its Content-Range end; the excess was not written'});
			if (checking) await check();
			await part.drain();
			if (rangeEnd !== null && part.written === rangeEnd && (total === null || rangeEnd < total)) {
				// A complete 206 that stopped short of the end (or of an unknown end): ask for the rest.
				log.debug('download.partial_range', {end: rangeEnd, total});
				if (total === null && expectedSize === null) return 'done';
				return 'restart';
			}

			if (total !== null && part.written < total) {
				throw new RetryableFailure('network', `response ended early: got ${part.written} of ${total} bytes`);
			}

			if (total === null && expectedSize !== null && part.written < expectedSize) {
				throw new RetryableFailure('network', `response ended at ${part.written} bytes; expected ${expectedSize}`);
			}

			return 'done';
		} catch (error) {
			// Keep what arrived intact (its bytes are already in the hash), unless writing is what failed.
			if (!(error instanceof TransferError && (error.code === 'disk_full' || error.code === 'io'))) {
				watchdog?.stop();
				await part.drain();
			}

			throw error;
		} finally {
			watchdog?.stop();
			signal.removeEventListener('abort', forward);
			// Drops a body not read to its end (a no-op once it ended: consume closes what it stops reading).
			body?.discard();
		}
	}

	for (;;) {
		signal.throwIfAborted();
		const state = {stalled: false};
		let outcome: 'done' | 'restart';
		try {
			outcome = await attempt(state);
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			if (error instanceof TransferError) throw error;
			const certificate = tlsCertificateFailure(error, url);
			if (certificate) throw certificate;
			const progressed = part.written > highWater;
			highWater = Math.max(highWater, part.written);
			if (progressed) {
				failures = 0;
				restarts = 0;
			}

			if (state.stalled && progressed) {
				const reason = `stalled: no data for ${opts.stallTimeoutMs / 1000} s at byte ${part.written}; resuming`;
				log.info('download.stalled', {bytes: part.written});
				opts.onRetry?.({attempt: 0, reason, delayMs: 0, stalled: true});
				continue;
			}

			const failure = state.stalled
				? new RetryableFailure('network', `stalled: no data for ${opts.stallTimeoutMs / 1000} s at byte ${part.written}`)
				: error instanceof RetryableFailure
					? error
					: new RetryableFailure('network', `${describeNetworkError(error)} (at byte ${part.written})`, {cause: error});
			failures++;
			if (failures > opts.retries) {
				throw new TransferError(
					failure.kind,
					`gave up on ${url} after ${failures} failed attempt${failures === 1 ? '' : 's'} since the last progress; last error: ${failure.message}`,
					{...(failure.status === undefined ? {} : {status: failure.status}), cause: error},
				);
			}

			const delayMs = failure.retryAfterMs ?? backoffDelay(failures, opts.backoff);
			log.warn('download.retry', {attempt: failures, reason: failure.message, delayMs, bytes: part.written, stalled: state.stalled});
			opts.onRetry?.({attempt: failures, reason: failure.message, delayMs, stalled: state.stalled});
			await sleep(delayMs, signal);
			continue;
		}

		if (outcome === 'done') {
			// Zero bytes is never an image, whatever the headers said (an empty 200, a Content-Length of 0).
			if (part.written === 0) throw new TransferError('content', `${finalUrl} sent an empty file (0 bytes): not an image`);
			return await result();
		}
		if (part.written > highWater) {
			// A restart that kept new data (a 206 with a shorter range than asked) is progress.
			highWater = part.written;
			failures = 0;
			restarts = 0;
			continue;
		}

		if (++restarts > MAX_RESTARTS_WITHOUT_DATA) {
			throw new TransferError('network', `gave up on ${url}: the server answered ${restarts} requests in a row with a different version or range of the file`);
		}
	}
}
