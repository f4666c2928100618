/** What the main thread (transfer-worker.ts) and the transfer thread (transfer-thread.ts) say to each other. */
import type {ChecksumAlgorithm} from '../types.js';
import type {HttpClientOptions} from './http.js';
import type {TransferResult} from './transfer.js';

/** Everything of a transfer's options that crosses threads (no functions, no signal, no client, no logger). */
export type TransferJob = {
	url: string;
	partPath: string;
	fileType: string;
	algorithm: ChecksumAlgorithm;
	validator?: {etag: string | null; lastModified: string | null};
	stallTimeoutMs: number;
	retries: number;
	backoff: {baseMs: number; maxMs: number};
	expectedSize?: number | null;
	/** The bandwidth limits it takes from, by id (the thread keeps one bucket per id: the global one is shared). */
	buckets: Array<{id: number; rate: number}>;
};

export type ToThread =
	| {t: 'start'; id: number; job: TransferJob}
	| {t: 'abort'; id: number}
	| {t: 'rate'; bucket: number; rate: number};

/** An error as it crosses threads: enough to rebuild a TransferError (or an IsomanError) with its code and status. */
export type ThreadError = {name: string; message: string; code?: string; status?: number; /** It was an IsomanError (its code is one of isoman's). */ isoman?: boolean};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type FromThread =
	| {t: 'progress'; id: number; downloaded: number; total: number | null}
	| {t: 'meta'; id: number; total: number | null; etag: string | null; lastModified: string | null; finalUrl: string}
	| {t: 'retry'; id: number; attempt: number; reason: string; delayMs: number; stalled: boolean}
	| {t: 'log'; id: number; level: LogLevel; event: string; fields: Record<string, unknown>}
	| {t: 'done'; id: number; result: TransferResult}
	| {t: 'failed'; id: number; error: ThreadError};

export type TransferThreadData = {
	client: HttpClientOptions;
	/** The nice value the thread gives itself (and so the hashing thread it starts), to leave the drawing thread a CPU. */
	nice: number;
};
