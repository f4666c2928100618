/** What the main thread (trailing-hash.ts) and the hashing thread (hash-thread.ts) say to each other. */
import type {MessagePort} from 'node:worker_threads';
import type {ChecksumAlgorithm} from '../types.js';

/** Bytes read and hashed per turn of one job. */
export const READ_BYTES = 1024 * 1024;

/** Shared control words of one job (a BigInt64Array over a SharedArrayBuffer). */
export const TARGET = 0; // bytes of the part written so far: hash up to here (main thread stores)
export const HASHED = 1; // bytes hashed so far (this thread stores)

export type HashCommand =
	| {op: 'open'; job: number; fd: number; algorithm: ChecksumAlgorithm; control: SharedArrayBuffer}
	/** Forget the bytes hashed (the part is about to be emptied); answered with `reset`. */
	| {op: 'reset'; job: number}
	/** Answered with the digest once TARGET bytes are hashed. */
	| {op: 'digest'; job: number}
	/** Answered once no read of the job's descriptor is under way any more. */
	| {op: 'close'; job: number};

export type HashFailure = {message: string; code: string | undefined};

export type HashReply =
	| {op: 'reset'; job: number}
	| {op: 'digest'; job: number; hex: string}
	| {op: 'closed'; job: number}
	| {op: 'failed'; job: number; failure: HashFailure};

export type HashThreadData = {port: MessagePort; doorbell: SharedArrayBuffer};
