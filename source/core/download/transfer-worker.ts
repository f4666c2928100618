/**
 * Runs transfers on the transfer thread (transfer-thread.ts) with the same contract as `transfer()`: the same
 * options (its `client` and `rateLimit` are the thread's own: the limits are given as buckets, mirrored there
 * and kept in step with every `setRate`), the same callbacks on this thread, the same result and errors
 * (a TransferError keeps its code and status; an abort rejects with the signal's reason, once the thread has let
 * go of the part). One thread serves every transfer of the process; it is started with the first and holds the
 * process open only while one runs. If it dies, the transfers it ran fail `io` and the next one starts a new thread.
 * Every thread of the process but the calling one runs at a lower priority from then on (thread-priority.ts).
 */
import {Worker} from 'node:worker_threads';
import {IsomanError} from '../types.js';
import {capYoungGeneration} from '../young-generation.js';
import {TransferError, type TransferErrorCode} from './errors.js';
import type {HttpClientOptions} from './http.js';
import type {TokenBucket} from './rate-limit.js';
import {DOWNLOAD_NICE, lowerOtherThreads} from './thread-priority.js';
import {threadFlags, threadUrl} from './thread-module.js';
import type {FromThread, ThreadError, ToThread, TransferThreadData} from './transfer-protocol.js';
import type {TransferOptions, TransferResult} from './transfer.js';

type Call = {
	opts: TransferOptions;
	resolve: (result: TransferResult) => void;
	reject: (error: unknown) => void;
	cleanup: () => void;
};

function rebuild(error: ThreadError): Error {
	if (error.name === 'TransferError' && error.code) return new TransferError(error.code as TransferErrorCode, error.message, error.status === undefined ? {} : {status: error.status});
	if (error.isoman && error.code) return new IsomanError(error.code, error.message);
	return Object.assign(new Error(error.message), {name: error.name, ...(error.code ? {code: error.code} : {})});
}

export class TransferWorker {
	private worker: Worker | undefined;
	private readonly calls = new Map<number, Call>();
	private nextCall = 1;
	private nextBucket = 1;
	private readonly bucketIds = new WeakMap<TokenBucket, number>();
	/** Buckets the thread holds a copy of: how many transfers use each, and how to stop watching it. */
	private readonly mirrored = new Map<number, {users: number; unwatch: () => void}>();

	constructor(private readonly client: HttpClientOptions) {}

	/** `transfer(opts)` on the thread, taking from `buckets` (the image's limit, then the global one). */
	async transfer(opts: TransferOptions, buckets: readonly TokenBucket[]): Promise<TransferResult> {
		opts.signal.throwIfAborted();
		const worker = this.start();
		// Threads the process started since (libuv's pool is started on first use) go below the drawing thread too.
		lowerOtherThreads();
		const id = this.nextCall++;
		const ids = buckets.map(bucket => this.mirror(bucket));
		return new Promise<TransferResult>((resolve, reject) => {
			const onAbort = () => this.post({t: 'abort', id});
			opts.signal.addEventListener('abort', onAbort, {once: true});
			const cleanup = () => {
				opts.signal.removeEventListener('abort', onAbort);
				for (const bucket of ids) this.unmirror(bucket);
			};
			this.calls.set(id, {opts, resolve, reject, cleanup});
			if (this.calls.size === 1) worker.ref();
			this.post({
				t: 'start',
				id,
				job: {
					url: opts.url,
					partPath: opts.partPath,
					fileType: opts.fileType,
					algorithm: opts.algorithm,
					...(opts.validator ? {validator: opts.validator} : {}),
					stallTimeoutMs: opts.stallTimeoutMs,
					retries: opts.retries,
					backoff: opts.backoff,
					...(opts.expectedSize === undefined ? {} : {expectedSize: opts.expectedSize}),
					buckets: ids.map((bucket, i) => ({id: bucket, rate: buckets[i]!.rate})),
				},
			});
		});
	}

	/** Stops the thread (call once no transfer runs: the manager stops its jobs first). */
	async close(): Promise<void> {
		const worker = this.worker;
		this.worker = undefined;
		await worker?.terminate();
	}

	private start(): Worker {
		if (this.worker) return this.worker;
		const data: TransferThreadData = {client: this.client, nice: DOWNLOAD_NICE};
		const flags = threadFlags(process.execArgv);
		const worker = new Worker(threadUrl('transfer-thread.js', import.meta.url), {workerData: data, ...(flags ? {execArgv: flags} : {}), stdout: false, stderr: false});
		// The thread's isolate, once created, has put V8's growth factor back to its default.
		worker.once('online', () => {
			capYoungGeneration();
			lowerOtherThreads();
		});
		worker.on('message', (message: FromThread) => this.receive(message));
		worker.on('error', error => this.lost(worker, `the download thread failed: ${error.message}`));
		worker.on('exit', code => this.lost(worker, `the download thread stopped (exit code ${code})`));
		worker.unref();
		this.worker = worker;
		return worker;
	}

	private post(message: ToThread): void {
		this.worker?.postMessage(message);
	}

	private mirror(bucket: TokenBucket): number {
		let id = this.bucketIds.get(bucket);
		if (id === undefined) {
			id = this.nextBucket++;
			this.bucketIds.set(bucket, id);
		}

		const held = this.mirrored.get(id);
		if (held) held.users++;
		else {
			const bucketId = id;
			this.mirrored.set(id, {users: 1, unwatch: bucket.watch(rate => this.post({t: 'rate', bucket: bucketId, rate}))});
		}

		return id;
	}

	private unmirror(id: number): void {
		const held = this.mirrored.get(id);
		if (!held || --held.users > 0) return;
		held.unwatch();
		this.mirrored.delete(id);
	}

	private receive(message: FromThread): void {
		const call = this.calls.get(message.id);
		if (!call) return;
		const {opts} = call;
		try {
			switch (message.t) {
				case 'progress':
					opts.onProgress?.({downloaded: message.downloaded, total: message.total});
					break;
				case 'meta':
					opts.onMeta?.({total: message.total, etag: message.etag, lastModified: message.lastModified, finalUrl: message.finalUrl});
					break;
				case 'retry':
					opts.onRetry?.({attempt: message.attempt, reason: message.reason, delayMs: message.delayMs, stalled: message.stalled});
					break;
				case 'log':
					opts.log[message.level](message.event, message.fields);
					break;
				case 'done':
					this.finish(message.id, call);
					call.resolve(message.result);
					break;
				case 'failed':
					this.finish(message.id, call);
					call.reject(opts.signal.aborted ? opts.signal.reason : rebuild(message.error));
					break;
			}
		} catch (error) {
			// A listener's failure is this thread's: the transfer goes on (as a progress listener's does in-thread).
			opts.log.warn('download.listener_failed', {event: message.t, error});
		}
	}

	private finish(id: number, call: Call): void {
		this.calls.delete(id);
		call.cleanup();
		if (this.calls.size === 0) this.worker?.unref();
	}

	private lost(worker: Worker, why: string): void {
		if (this.worker === worker) this.worker = undefined;
		for (const [id, call] of this.calls) {
			this.finish(id, call);
			call.reject(call.opts.signal.aborted ? call.opts.signal.reason : new IsomanError('io', `${why}; the download can be retried`));
		}
	}
}
