/**
 * The `.part` file of one transfer: appends in batches, hashed and written by a worker thread (part-worker.ts).
 *
 * The main thread only copies each network chunk once into one of a few pooled batch buffers and transfers a full
 * (or 250 ms old) batch to the worker, which hashes it, writes it with pwrite and transfers the buffer back. Undici's
 * chunks cannot be transferred themselves (they may share one allocation with other chunks), and the copy costs
 * far less than the hash it moves off this thread (measured: bench/README.md, "Where the CPU goes").
 * Memory stays flat: POOL_BUFFERS × BATCH_BYTES per transfer; when every buffer is with the worker, `append` waits
 * for one to come back, so reading stops and undici stops reading the socket (TCP backpressure).
 */
import fs from 'node:fs';
import {Worker} from 'node:worker_threads';
import type {FileHandle} from 'node:fs/promises';
import type {ChecksumAlgorithm} from '../types.js';
import type {WorkerFailure, WorkerReply, WorkerRequest} from './part-worker.js';

/** Bytes gathered before one write. */
export const BATCH_BYTES = 1024 * 1024;
/** Batch buffers per transfer (one filling, the others with the worker). */
export const POOL_BUFFERS = 3;
/** After this many new bytes the worker starts a background fdatasync (one at a time). */
export const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
/** A batch older than this is written even when not full, so slow links still show (and keep) progress. */
export const BATCH_MAX_AGE_MS = 250;

/** The worker's compiled module beside this one; under the test runner (TypeScript sources) the built copy. */
function workerUrl(): URL {
	const sibling = new URL('part-worker.js', import.meta.url);
	if (fs.existsSync(sibling)) return sibling;
	const built = new URL(sibling.href.replace(/\/source\/(?!.*\/source\/)/, '/dist/'));
	if (fs.existsSync(built)) return built;
	throw new Error(`the part worker is missing (${sibling.pathname}): build isoman first (npm run build)`);
}

export type PartWriterOptions = {
	fh: FileHandle;
	algorithm: ChecksumAlgorithm;
	/** Bytes already in the part: hashed by the worker before anything is appended. */
	size: number;
	signal: AbortSignal;
	/** Turns a failure of the worker (an errno code and message) into the error the transfer throws. */
	toError: (failure: WorkerFailure) => Error | Promise<Error>;
};

export class PartWriter {
	/** Bytes accepted by append: the part's size once every queued batch has been written. */
	hashed: number;
	/** Bytes whose write has completed. */
	written: number;
	/** Called after each batch has been written, with the part's size. Must not throw. */
	onWritten: ((size: number) => void) | undefined;
	private readonly free: ArrayBuffer[] = [];
	private current: Buffer | undefined;
	private fill = 0;
	private started = 0;
	private inFlight = 0;
	private failed: Error | undefined;
	private waiters: Array<() => void> = [];
	private answer: ((reply: WorkerReply) => void) | undefined;
	private rejectFailure: ((error: Error) => void) | undefined;
	/** Rejects with the first failure (the worker's, an abort during open, or close). */
	private readonly failure = new Promise<never>((_, reject) => {
		this.rejectFailure = reject;
	});

	private constructor(
		private readonly worker: Worker,
		private readonly opts: PartWriterOptions,
	) {
		this.hashed = opts.size;
		this.written = opts.size;
		this.failure.catch(() => undefined);
		worker.on('message', (reply: WorkerReply) => this.onReply(reply));
		worker.on('error', error => this.fail(error));
		worker.on('exit', () => this.fail(new Error('the part worker stopped')));
	}

	/** Starts the worker and hashes the part's existing bytes in it. Rejects with the signal's reason on abort. */
	static async open(opts: PartWriterOptions): Promise<PartWriter> {
		opts.signal.throwIfAborted();
		const worker = new Worker(workerUrl(), {
			// Only batch buffers cross the boundary; a small young generation keeps this thread's heap tiny.
			resourceLimits: {maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16},
			stdout: false,
			stderr: false,
		});
		const writer = new PartWriter(worker, opts);
		const onAbort = () => writer.fail(opts.signal.reason);
		opts.signal.addEventListener('abort', onAbort, {once: true});
		try {
			const readBuffer = new ArrayBuffer(BATCH_BYTES);
			const reply = await writer.request({op: 'init', fd: opts.fh.fd, algorithm: opts.algorithm, prefix: opts.size, syncEvery: SYNC_EVERY_BYTES, readBuffer}, [readBuffer]);
			if (reply.op !== 'ready') throw new Error(`unexpected reply ${reply.op}`);
			writer.free.push(reply.readBuffer);
			for (let i = 1; i < POOL_BUFFERS; i++) writer.free.push(new ArrayBuffer(BATCH_BYTES));
			return writer;
		} catch (error) {
			await writer.close();
			if (opts.signal.aborted) throw opts.signal.reason;
			throw error;
		} finally {
			opts.signal.removeEventListener('abort', onAbort);
		}
	}

	/** Copies `chunk` into the current batch; sends full batches, waiting for a free buffer when all are busy. */
	async append(chunk: Buffer): Promise<void> {
		let offset = 0;
		while (offset < chunk.length) {
			if (this.failed) throw this.failed;
			if (!this.current) {
				if (this.free.length === 0) await this.bufferBack();
				if (this.failed) throw this.failed;
				this.current = Buffer.from(this.free.pop()!);
				this.fill = 0;
				this.started = Date.now();
			}

			const n = chunk.copy(this.current, this.fill, offset);
			this.fill += n;
			offset += n;
			this.hashed += n;
			if (this.fill === this.current.length) this.send();
		}

		if (this.current && Date.now() - this.started >= BATCH_MAX_AGE_MS) this.send();
	}

	/** Sends the current batch, even when not full. */
	async flush(): Promise<void> {
		if (this.failed) throw this.failed;
		if (this.current && this.fill > 0) this.send();
	}

	/** Writes everything appended and waits for it. Throws the write's failure, if any. */
	async drain(): Promise<void> {
		await this.flush();
		while (this.inFlight > 0 && !this.failed) await this.bufferBack();
		if (this.failed) throw this.failed;
	}

	/** Empties the part and starts a fresh hash (after draining). */
	async truncate(): Promise<void> {
		await this.drain();
		const reply = await this.request({op: 'truncate'});
		if (reply.op !== 'truncated') throw new Error(`unexpected reply ${reply.op}`);
		this.hashed = 0;
		this.written = 0;
	}

	/** Hex digest of every byte in the part (after draining). */
	async digest(): Promise<string> {
		await this.drain();
		const reply = await this.request({op: 'digest'});
		if (reply.op !== 'digest') throw new Error(`unexpected reply ${reply.op}`);
		return reply.hex;
	}

	/** Stops the worker; the file descriptor is the caller's to close afterwards. */
	async close(): Promise<void> {
		this.worker.removeAllListeners('exit');
		this.fail(new Error('the part file is closed'));
		await this.worker.terminate();
	}

	private send(): void {
		const buffer = this.current!;
		const length = this.fill;
		this.current = undefined;
		this.fill = 0;
		this.inFlight++;
		const message: WorkerRequest = {op: 'write', buffer: buffer.buffer as ArrayBuffer, length, position: this.hashed - length};
		this.worker.postMessage(message, [buffer.buffer as ArrayBuffer]);
	}

	private async bufferBack(): Promise<void> {
		await new Promise<void>(resolve => this.waiters.push(resolve));
	}

	private wake(): void {
		const waiters = this.waiters;
		this.waiters = [];
		for (const w of waiters) w();
	}

	private async request(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
		if (this.failed) throw this.failed;
		const reply = new Promise<WorkerReply>(resolve => {
			this.answer = resolve;
		});
		this.worker.postMessage(message, transfer);
		return Promise.race([reply, this.failure]);
	}

	private onReply(reply: WorkerReply): void {
		switch (reply.op) {
			case 'written':
				this.inFlight--;
				this.written = reply.end;
				this.free.push(reply.buffer);
				this.onWritten?.(this.written);
				this.wake();
				return;
			case 'failed':
				if (reply.buffer) this.inFlight--;
				void Promise.resolve(this.opts.toError(reply.failure)).then(error => this.fail(error));
				return;
			default: {
				const answer = this.answer;
				this.answer = undefined;
				answer?.(reply);
			}
		}
	}

	private fail(error: unknown): void {
		this.failed ??= error instanceof Error ? error : new Error(String(error));
		this.rejectFailure?.(this.failed);
		this.wake();
	}
}
