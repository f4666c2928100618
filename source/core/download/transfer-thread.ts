/**
 * The transfer thread (started by transfer-worker.ts): runs `transfer()` for the TUI, so that the thread that
 * reads keys and draws never waits behind socket reads, HTTP parsing and write submission (bench item 8).
 *
 * It has its own HTTP client, its own copies of the bandwidth limits (one bucket per id the main thread gives: the
 * global one is shared by every transfer here, as it is in a single-threaded process) and starts the process's
 * hashing thread itself. It lowers its own priority at once (and so the hashing thread's, which inherits it) so that
 * the drawing thread gets a CPU as soon as it wakes (thread-priority.ts); with a free core that changes nothing.
 * Progress is posted at most every PROGRESS_MS (and at once when the part shrank).
 */
import {parentPort, workerData} from 'node:worker_threads';
import {Throttle} from '../throttle.js';
import {IsomanError, type Logger} from '../types.js';
import {createHttpClient} from './http.js';
import {tuneForDownloads} from './memory.js';
import {limiter, TokenBucket} from './rate-limit.js';
import {lowerThisThread} from './thread-priority.js';
import {transfer} from './transfer.js';
import type {FromThread, LogLevel, ThreadError, ToThread, TransferJob, TransferThreadData} from './transfer-protocol.js';

const PROGRESS_MS = 50;

function toThreadError(error: unknown): ThreadError {
	if (!(error instanceof Error)) return {name: 'Error', message: String(error)};
	const {code, status} = error as {code?: unknown; status?: unknown};
	return {
		name: error.name,
		message: error.message,
		...(typeof code === 'string' ? {code} : {}),
		...(typeof status === 'number' ? {status} : {}),
		...(error instanceof IsomanError ? {isoman: true} : {}),
	};
}

/** A log field as it can cross threads: errors as {message, name, code}, the rest as it is. */
function portable(fields: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? toThreadError(value) : value]));
}

const port = parentPort!;
const data = workerData as TransferThreadData;
tuneForDownloads();
lowerThisThread(data.nice);
const client = createHttpClient(data.client);
const running = new Map<number, AbortController>();
const buckets = new Map<number, {bucket: TokenBucket; users: number}>();

function send(message: FromThread): void {
	try {
		port.postMessage(message);
	} catch {
		// A log field that cannot be cloned: the line goes without its fields rather than not at all.
		if (message.t === 'log') port.postMessage({...message, fields: {fields: 'not cloneable'}});
	}
}

function logger(id: number, bound: Record<string, unknown>): Logger {
	const at =
		(level: LogLevel) =>
		(event: string, fields: Record<string, unknown> = {}): void => {
			send({t: 'log', id, level, event, fields: portable({...bound, ...fields})});
		};
	return {debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: fields => logger(id, {...bound, ...fields})};
}

function takeBuckets(job: TransferJob): TokenBucket[] {
	return job.buckets.map(({id, rate}) => {
		const held = buckets.get(id) ?? {bucket: new TokenBucket(rate), users: 0};
		held.users++;
		buckets.set(id, held);
		return held.bucket;
	});
}

function releaseBuckets(job: TransferJob): void {
	for (const {id} of job.buckets) {
		const held = buckets.get(id);
		if (held && --held.users === 0) buckets.delete(id);
	}
}

async function run(id: number, job: TransferJob): Promise<void> {
	const controller = new AbortController();
	running.set(id, controller);
	const limits = takeBuckets(job);
	let sent = -1;
	let unsent: {downloaded: number; total: number | null} | undefined;
	const progress = new Throttle(() => {
		if (!unsent) return;
		send({t: 'progress', id, ...unsent});
		sent = unsent.downloaded;
		unsent = undefined;
	}, PROGRESS_MS);
	const {buckets: _limits, ...options} = job;

	try {
		const result = await transfer({
			...options,
			client,
			signal: controller.signal,
			log: logger(id, {}),
			...(limits.length > 0 ? {rateLimit: limiter(limits)} : {}),
			onProgress(written) {
				unsent = written;
				progress.request();
				// A part that shrank (a restart from 0) is told at once.
				if (written.downloaded < sent) progress.flush();
			},
			onMeta: meta => send({t: 'meta', id, ...meta}),
			onRetry: info => send({t: 'retry', id, ...info}),
		});
		progress.flush();
		send({t: 'done', id, result});
	} catch (error) {
		progress.flush();
		send({t: 'failed', id, error: toThreadError(error)});
	} finally {
		running.delete(id);
		releaseBuckets(job);
	}
}

port.on('message', (message: ToThread) => {
	switch (message.t) {
		case 'start':
			void run(message.id, message.job);
			break;
		case 'abort':
			running.get(message.id)?.abort(new Error('aborted'));
			break;
		case 'rate':
			buckets.get(message.bucket)?.bucket.setRate(message.rate);
			break;
	}
});
