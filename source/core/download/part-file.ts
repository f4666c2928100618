/**
 * The `.part` file of one transfer: network chunks gathered into ~1 MiB batches and appended with one positional
 * writev each (libuv's thread pool; at most one in flight, the next batch fills meanwhile), hashed on the second
 * core by the hashing thread reading the written bytes back (trailing-hash.ts).
 *
 * A lone transfer writes undici's chunks as they are. While other transfers run, a batch copies its chunks into
 * one of two reused 1 MiB buffers instead (a memcpy, ~0.1–0.2 s of CPU per GB): with several transfers a batch
 * fills slowly, its chunks outlive two scavenges and are promoted to V8's old generation, and their 64 KiB each
 * outside the heap then wait for a full collection — 20–40 MB of dead socket buffers at the peak with four
 * downloads. Copied, every chunk dies young (bench/README.md, "Memory"). Memory stays flat: a full batch waits for
 * the previous write, and while it waits nothing is read, so undici stops reading the socket (TCP backpressure).
 * Before each write one fstat checks that the part still holds exactly what was written (a truncation or an
 * append by something else fails the transfer; a positional write would otherwise paper over a truncation with a
 * hole). Every SYNC_EVERY_BYTES a background fdatasync lets writeback run during the download, so the final
 * fsync is short.
 */
import fs from 'node:fs';
import type {FileHandle} from 'node:fs/promises';
import type {ChecksumAlgorithm} from '../types.js';
import {CHANGED_BEHIND_OUR_BACK} from './errors.js';
import {allowLargeReads} from './large-reads.js';
import {collectYoung} from './memory.js';
import {HashError, TrailingHash} from './trailing-hash.js';

/** Bytes gathered before one writev. */
export const BATCH_BYTES = 1024 * 1024;
/** After this many new bytes a background fdatasync starts (one at a time). */
export const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
/** A batch older than this is written even when not full, so slow links still show (and keep) progress. */
export const BATCH_MAX_AGE_MS = 250;

/** What failed, for the caller's error: an errno-style code and message, and during what. */
export type PartFailure = {message: string; code: string | undefined; during: 'read' | 'write' | 'truncate'};

export type PartFileOptions = {
	fh: FileHandle;
	algorithm: ChecksumAlgorithm;
	/** Bytes already in the part (resume): hashed first, while the transfer goes on. */
	size: number;
	/** Turns a failure into the error the transfer throws. */
	toError: (failure: PartFailure) => Error | Promise<Error>;
};

function failureOf(error: unknown, during: PartFailure['during']): PartFailure {
	if (error instanceof HashError) return {...error.failure, during: 'read'};
	const code = (error as {code?: unknown} | undefined)?.code;
	return {message: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined, during};
}

/** PartFiles open in this process (all transfers): decides whether a new batch copies its chunks. */
let openParts = 0;
/**
 * Several parts have been open at once since the count was last 0: socket reads stay at 64 KiB until every part
 * is closed (large-reads.ts). The last of several transfers, alone at the end, would otherwise switch to 1 MiB
 * reads while the others' memory is still held (measured: peak RSS 110–121 MB against 102–104 for 4 × 512 MiB).
 */
let severalOpened = false;

function countOpenParts(change: 1 | -1): void {
	openParts += change;
	if (openParts > 1) severalOpened = true;
	else if (openParts === 0) severalOpened = false;
	allowLargeReads(!severalOpened);
}

/** One batch: undici's chunks kept as they are, or copied into a reused buffer (see the module's comment). */
type Batch = {chunks: Buffer[]; copy: Buffer | undefined; bytes: number; started: number};

export class PartFile {
	/** Bytes accepted by append: the part's size once every queued batch has been written. */
	accepted: number;
	/** Bytes whose write has completed. */
	written: number;
	/** Called after each batch has been written, with the part's size. Must not throw. */
	onWritten: ((size: number) => void) | undefined;
	private readonly hash: TrailingHash;
	/** The batch being filled (undefined between a flush and the next append). */
	private batch: Batch | undefined;
	/** Copy buffers not in use: one is written while the other fills. */
	private readonly spare: Buffer[] = [];
	private pending: Promise<void> | undefined;
	private syncing: Promise<void> | undefined;
	private syncedTo: number;
	private closed = false;

	constructor(private readonly opts: PartFileOptions) {
		this.accepted = opts.size;
		this.written = opts.size;
		this.syncedTo = opts.size;
		this.hash = new TrailingHash(opts.fh.fd, opts.algorithm, opts.size);
		countOpenParts(1);
	}

	/**
	 * Queues `chunk` (kept, or copied when other transfers run). Answers a promise only when it must wait — a full
	 * batch while the previous write is still in flight — and nothing otherwise (the download's hot path takes no
	 * promise per chunk). When it answers one, the next append must wait for it. A write's failure is thrown by the
	 * next append, flush or drain that waits.
	 */
	append(chunk: Buffer): Promise<void> | undefined {
		this.accepted += chunk.length;
		let from = 0;
		while (from < chunk.length) {
			this.batch ??= {
				chunks: [],
				copy: openParts > 1 ? (this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES)) : undefined,
				bytes: 0,
				started: Date.now(),
			};
			const batch = this.batch;
			if (batch.copy) {
				const n = chunk.copy(batch.copy, batch.bytes, from);
				from += n;
				batch.bytes += n;
			} else {
				batch.chunks.push(from === 0 ? chunk : chunk.subarray(from));
				batch.bytes += chunk.length - from;
				from = chunk.length;
			}

			if (batch.bytes >= BATCH_BYTES) {
				const waiting = this.flush();
				if (waiting) return from < chunk.length ? waiting.then(async () => this.appendRest(chunk, from)) : waiting;
			}
		}

		if (this.batch && Date.now() - this.batch.started >= BATCH_MAX_AGE_MS) return this.flush();
		return undefined;
	}

	/** The rest of a chunk whose first `from` bytes filled a batch (copying only: a kept chunk fits whole). */
	private async appendRest(chunk: Buffer, from: number): Promise<void> {
		this.accepted -= chunk.length - from;
		await this.append(chunk.subarray(from));
	}

	/**
	 * Starts writing the current batch: at once when no write is in flight (answering nothing), else once the
	 * previous one has finished (answering that wait). Throws (rejects) an earlier write's failure.
	 */
	flush(): Promise<void> | undefined {
		const batch = this.batch;
		if (!batch || batch.bytes === 0) return undefined;
		this.batch = undefined;
		const pending = this.pending;
		if (!pending) {
			this.start(batch);
			return undefined;
		}

		return pending.then(() => this.start(batch));
	}

	private start(batch: Batch): void {
		const {copy} = batch;
		const buffers = copy ? [copy.subarray(0, batch.bytes)] : batch.chunks;
		const write = this.write(buffers, this.written, batch.bytes).finally(() => {
			if (copy) this.spare.push(copy);
		});
		// A write that succeeded is forgotten (the next batch starts at once); a failure stays, for whoever waits next.
		write.then(
			() => {
				if (this.pending === write) this.pending = undefined;
			},
			() => undefined,
		);
		this.pending = write;
	}

	/** Writes everything queued and waits for it. */
	async drain(): Promise<void> {
		await this.flush();
		const pending = this.pending;
		if (pending) {
			await pending;
			if (this.pending === pending) this.pending = undefined;
		}
	}

	/** Empties the part and starts a fresh hash (after draining). */
	async truncate(): Promise<void> {
		await this.drain();
		try {
			await this.hash.reset();
			await this.opts.fh.truncate(0);
		} catch (error) {
			throw await this.opts.toError(failureOf(error, 'truncate'));
		}

		this.accepted = 0;
		this.written = 0;
		this.syncedTo = 0;
	}

	/** Hex digest of every byte in the part (after draining), once the hashing thread has caught up. */
	async digest(signal: AbortSignal): Promise<string> {
		await this.drain();
		try {
			return await abortable(this.hash.digest(), signal);
		} catch (error) {
			if (signal.aborted) throw signal.reason;
			throw await this.opts.toError(failureOf(error, 'read'));
		}
	}

	/** Stops hashing and waits for the background sync; the descriptor is the caller's to close afterwards. */
	async close(): Promise<void> {
		if (!this.closed) {
			this.closed = true;
			countOpenParts(-1);
		}

		await this.hash.close();
		await this.syncing;
	}

	private async write(buffers: Buffer[], position: number, length: number): Promise<void> {
		const {fh} = this.opts;
		try {
			this.hash.check();
			const actual = fs.fstatSync(fh.fd).size;
			if (actual !== position) {
				throw Object.assign(
					new Error(`was ${actual < position ? 'truncated' : 'appended to'} by something else during the download (it holds ${actual} bytes, ${position} were written)`),
					{code: CHANGED_BEHIND_OUR_BACK},
				);
			}
		} catch (error) {
			throw await this.opts.toError(failureOf(error, 'read'));
		}

		let done = 0;
		let rest = buffers;
		while (done < length) {
			let bytesWritten: number;
			try {
				({bytesWritten} = await fh.writev(rest, position + done));
			} catch (error) {
				throw await this.opts.toError(failureOf(error, 'write'));
			}

			if (bytesWritten <= 0) throw await this.opts.toError({message: 'write made no progress', code: 'EIO', during: 'write'});
			done += bytesWritten;
			if (done < length) rest = skipBytes(buffers, done);
		}

		this.written = position + length;
		this.hash.advance(this.written);
		collectYoung(length, openParts > 1);
		this.onWritten?.(this.written);
		this.syncInBackground();
	}

	private syncInBackground(): void {
		if (this.syncing || this.written - this.syncedTo < SYNC_EVERY_BYTES) return;
		const upTo = this.written;
		// A failure here is not the download's: the final fsync reports any real I/O error.
		this.syncing = this.opts.fh
			.datasync()
			.then(() => {
				this.syncedTo = Math.max(this.syncedTo, upTo);
			})
			.catch(() => undefined)
			.finally(() => {
				this.syncing = undefined;
			});
	}
}

/** `buffers` without their first `n` bytes (for a short writev). */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
	const out: Buffer[] = [];
	let skip = n;
	for (const buf of buffers) {
		if (skip >= buf.length) {
			skip -= buf.length;
			continue;
		}

		out.push(skip > 0 ? buf.subarray(skip) : buf);
		skip = 0;
	}

	return out;
}

/** `promise`, or the signal's reason as soon as it aborts. */
async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	signal.throwIfAborted();
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, {once: true});
	});
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort!);
	}
}
