/**
 * Hashing files already on disk (verify, recovery, adopting an existing file, re-hashing a `.part` on resume)
 * in ~1 MiB reads through one FileHandle: memory stays flat whatever the file's size.
 */
import type {Hash} from 'node:crypto';
import fs, {type FileHandle} from 'node:fs/promises';
import {sleep} from '../download/backoff.js';
import {IsomanError, type ChecksumAlgorithm} from '../types.js';
import {createHasher} from './algorithms.js';

export const HASH_CHUNK_BYTES = 1024 * 1024;
const PROGRESS_INTERVAL_MS = 100;

export type HashFileOptions = {
	signal?: AbortSignal;
	/** Called at most every 100 ms while hashing, and once at the end with bytesDone === total. */
	onProgress?: (bytesDone: number, total: number) => void;
	/** First byte to hash (default 0). */
	start?: number;
	/** Byte offset to stop at, exclusive (default: the file's size). The file must reach it. */
	end?: number;
	/** Read at most this many bytes per second (the scheduled re-hash); default: as fast as the disk goes. */
	rate?: number;
};

function checkOffset(value: number, what: string): void {
	if (!Number.isSafeInteger(value) || value < 0) {
		throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
	}
}

/**
 * Feeds bytes [start, end) of `fh` into `hash`. Throws if the file ends first, or the signal's reason if aborted.
 * Two reused buffers: while one chunk is hashed here, the next is read into the other in the thread pool, so on two
 * cores the reads (a third of the time of a read-then-hash loop: page-cache copies) overlap the hashing. Each chunk
 * awaits its read, a turn of the event loop, so downloads, the UI and signals keep going.
 */
async function feed(
	fh: FileHandle,
	hash: Hash,
	start: number,
	end: number,
	signal: AbortSignal | undefined,
	onChunk: ((bytesDone: number) => void) | undefined,
	label: string,
	rate?: number,
): Promise<void> {
	signal?.throwIfAborted();
	if (end - start <= 0) return;
	const began = performance.now();
	const size = Math.min(HASH_CHUNK_BYTES, end - start);
	const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const;
	let turn = 0;
	const readInto = (buffer: Buffer, at: number) => fh.read(buffer, 0, Math.min(size, end - at), at);
	let reading: Promise<{bytesRead: number}> | undefined = readInto(buffers[0], start);
	let position = start;
	try {
		while (reading) {
			const {bytesRead} = await reading;
			reading = undefined;
			if (bytesRead === 0) {
				throw new IsomanError('io', `${label} ended at byte ${position}; expected ${end} bytes`);
			}

			const chunk = buffers[turn]!.subarray(0, bytesRead);
			position += bytesRead;
			turn ^= 1;
			if (position < end) reading = readInto(buffers[turn]!, position);
			hash.update(chunk);
			onChunk?.(position - start);
			signal?.throwIfAborted();
			if (rate && position < end) {
				// Ahead of the allowed rate: wait until the bytes read so far are due.
				const wait = began + ((position - start) / rate) * 1000 - performance.now();
				if (wait > 0) await sleep(wait, signal);
			}
		}
	} finally {
		// Leaving early (abort, short file): the read in flight finishes before the caller closes the file.
		await reading?.catch(() => undefined);
	}
}

/**
 * Feeds the first `length` bytes of an open file into an existing Hash (to resume a download: the bytes already in
 * the `.part` are hashed before new ones are appended). Throws if the file is shorter, or the signal's reason.
 */
export async function hashPrefix(fh: FileHandle, length: number, hash: Hash, signal?: AbortSignal): Promise<void> {
	checkOffset(length, 'length');
	await feed(fh, hash, 0, length, signal, undefined, 'the file');
}

/** Hex digest (lower case) and byte count of a file, or of bytes [start, end) of it. */
export async function hashFile(
	path: string,
	alg: ChecksumAlgorithm,
	opts: HashFileOptions = {},
): Promise<{hex: string; bytes: number}> {
	const {signal, onProgress} = opts;
	signal?.throwIfAborted();
	const fh = await fs.open(path, 'r');
	try {
		const start = opts.start ?? 0;
		const end = opts.end ?? (await fh.stat()).size;
		checkOffset(start, 'start');
		checkOffset(end, 'end');
		if (end < start) {
			throw new RangeError(`end (${end}) is before start (${start})`);
		}

		const total = end - start;
		const hash = createHasher(alg);
		let last = performance.now();
		const onChunk = onProgress
			? (done: number) => {
					const now = performance.now();
					if (done < total && now - last >= PROGRESS_INTERVAL_MS) {
						last = now;
						onProgress(done, total);
					}
				}
			: undefined;
		await feed(fh, hash, start, end, signal, onChunk, path, opts.rate);
		onProgress?.(total, total);
		return {hex: hash.digest('hex'), bytes: total};
	} finally {
		await fh.close();
	}
}
