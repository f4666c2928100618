/**
 * The worker thread behind one PartWriter (part-writer.ts): it owns the `.part`'s hash and its writes, so hashing
 * (the largest CPU cost of a download) and the write syscalls run on the second core while the main thread reads
 * the network. It shares the file descriptor the main thread opened (threads share the process's fd table); the
 * main thread closes it only after this worker has stopped.
 *
 * Messages are handled strictly in order: `init` hashes the bytes already in the part (resume); `write` hashes a
 * batch, writes it at its position with pwrite, then hands the buffer back for reuse; `truncate` empties the part
 * and restarts the hash; `digest` waits for the background fdatasync and answers the hex digest.
 * After a failed write every later write is answered with the same failure: the transfer is over.
 */
import type {Hash} from 'node:crypto';
import fs from 'node:fs';
import {parentPort} from 'node:worker_threads';
import type {ChecksumAlgorithm} from '../types.js';
import {createHasher} from '../checksum/algorithms.js';
import {CHANGED_BEHIND_OUR_BACK} from './errors.js';

export type WorkerRequest =
	| {op: 'init'; fd: number; algorithm: ChecksumAlgorithm; prefix: number; syncEvery: number; readBuffer: ArrayBuffer}
	| {op: 'write'; buffer: ArrayBuffer; length: number; position: number}
	| {op: 'truncate'}
	| {op: 'digest'};

export type WorkerFailure = {message: string; code: string | undefined; during: 'read' | 'write' | 'truncate'};

export type WorkerReply =
	| {op: 'ready'; readBuffer: ArrayBuffer}
	| {op: 'written'; buffer: ArrayBuffer; end: number}
	| {op: 'truncated'}
	| {op: 'digest'; hex: string}
	| {op: 'failed'; failure: WorkerFailure; buffer?: ArrayBuffer};

const port = parentPort!;
let fd = -1;
let algorithm: ChecksumAlgorithm = 'sha256';
let hash: Hash | undefined;
let syncEvery = 0;
let syncedTo = 0;
let writtenTo = 0;
let syncing: Promise<void> | undefined;
let broken: WorkerFailure | undefined;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function failure(error: unknown, during: WorkerFailure['during']): WorkerFailure {
	const code = (error as {code?: unknown} | undefined)?.code;
	return {message: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined, during};
}

/** Reads and hashes bytes [0, length) through one reused buffer. */
function hashPrefix(length: number, buffer: Buffer): void {
	let position = 0;
	while (position < length) {
		const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, length - position), position);
		if (n === 0) throw Object.assign(new Error(`the file ended at byte ${position}; expected ${length} bytes`), {code: 'ESHORT'});
		hash!.update(buffer.subarray(0, n));
		position += n;
	}
}

function writeAll(bytes: Buffer, position: number): void {
	let done = 0;
	while (done < bytes.length) {
		const n = fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
		if (n <= 0) throw Object.assign(new Error('write made no progress'), {code: 'EIO'});
		done += n;
	}
}

/**
 * Without it the kernel holds the whole download as dirty pages and the final fsync writes it all at the end;
 * with it, writeback runs while the download goes on. One at a time, in the thread pool (not blocking this thread).
 */
function syncInBackground(): void {
	if (syncing || syncEvery <= 0 || writtenTo - syncedTo < syncEvery) return;
	const upTo = writtenTo;
	// A failure here is not the download's: the final fsync (on the main thread) reports any real I/O error.
	syncing = new Promise<void>(resolve => {
		fs.fdatasync(fd, error => {
			if (!error) syncedTo = Math.max(syncedTo, upTo);
			syncing = undefined;
			resolve();
		});
	});
}

port.on('message', (message: WorkerRequest) => {
	switch (message.op) {
		case 'init': {
			({fd, algorithm, syncEvery} = message);
			hash = createHasher(algorithm);
			try {
				hashPrefix(message.prefix, Buffer.from(message.readBuffer));
			} catch (error) {
				reply({op: 'failed', failure: failure(error, 'read')});
				return;
			}

			writtenTo = message.prefix;
			syncedTo = message.prefix;
			reply({op: 'ready', readBuffer: message.readBuffer}, [message.readBuffer]);
			return;
		}

		case 'write': {
			const {buffer, length, position} = message;
			if (broken) {
				reply({op: 'failed', failure: broken, buffer}, [buffer]);
				return;
			}

			const bytes = Buffer.from(buffer, 0, length);
			hash!.update(bytes);
			try {
				// The part still holds exactly what was written: a truncation or an append by something else fails the
				// transfer (a pwrite at `position` would otherwise paper over a truncation with a hole). One fstat a batch.
				const actual = fs.fstatSync(fd).size;
				if (actual !== position) {
					throw Object.assign(
						new Error(`was ${actual < position ? 'truncated' : 'appended to'} by something else during the download (it holds ${actual} bytes, ${position} were written)`),
						{code: CHANGED_BEHIND_OUR_BACK},
					);
				}

				writeAll(bytes, position);
			} catch (error) {
				broken = failure(error, 'write');
				reply({op: 'failed', failure: broken, buffer}, [buffer]);
				return;
			}

			writtenTo = position + length;
			reply({op: 'written', buffer, end: writtenTo}, [buffer]);
			syncInBackground();
			return;
		}

		case 'truncate': {
			try {
				fs.ftruncateSync(fd, 0);
			} catch (error) {
				reply({op: 'failed', failure: failure(error, 'truncate')});
				return;
			}

			hash = createHasher(algorithm);
			writtenTo = 0;
			syncedTo = 0;
			broken = undefined;
			reply({op: 'truncated'});
			return;
		}

		case 'digest': {
			void (syncing ?? Promise.resolve()).then(() => reply({op: 'digest', hex: hash!.copy().digest('hex')}));
		}
	}
});
