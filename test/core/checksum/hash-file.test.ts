import {createHash, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HASH_CHUNK_BYTES, createHasher, hashFile, hashPrefix} from '../../../source/core/checksum/index.js';
import {CHECKSUM_ALGORITHMS, IsomanError} from '../../../source/core/types.js';

let dir: string;
let file: string;
let content: Buffer;

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-hash-'));
	file = path.join(dir, 'image.iso');
	// Several chunks and a ragged tail, so chunk boundaries are exercised.
	content = randomBytes(5 * HASH_CHUNK_BYTES + 12_345);
	fs.writeFileSync(file, content);
});

afterAll(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

const digest = (alg: string, data: Buffer) => createHash(alg).update(data).digest('hex');

describe('hashFile', () => {
	it.each(CHECKSUM_ALGORITHMS)('%s matches node:crypto over the whole file', async alg => {
		expect(await hashFile(file, alg)).toEqual({hex: digest(alg, content), bytes: content.length});
	});

	it.each([
		[0, 0],
		[0, 1],
		[1, HASH_CHUNK_BYTES + 1],
		[HASH_CHUNK_BYTES - 1, 3 * HASH_CHUNK_BYTES + 7],
		[HASH_CHUNK_BYTES * 5, HASH_CHUNK_BYTES * 5 + 12_345],
	])('hashes bytes [%i, %i) only', async (start, end) => {
		expect(await hashFile(file, 'sha256', {start, end})).toEqual({hex: digest('sha256', content.subarray(start, end)), bytes: end - start});
	});

	it('hashes an empty file and reports it once', async () => {
		const empty = path.join(dir, 'empty');
		fs.writeFileSync(empty, '');
		const calls: Array<[number, number]> = [];
		expect(await hashFile(empty, 'md5', {onProgress: (d, t) => calls.push([d, t])})).toEqual({hex: digest('md5', Buffer.alloc(0)), bytes: 0});
		expect(calls).toEqual([[0, 0]]);
	});

	it('reports progress monotonically, at most ~10 per second, ending with the total', async () => {
		const calls: Array<{done: number; total: number; at: number}> = [];
		const t0 = performance.now();
		await hashFile(file, 'sha512', {onProgress: (done, total) => calls.push({done, total, at: performance.now()})});
		const elapsed = performance.now() - t0;
		expect(calls.at(-1)).toMatchObject({done: content.length, total: content.length});
		expect(calls.every(c => c.total === content.length)).toBe(true);
		for (let i = 1; i < calls.length; i++) {
			expect(calls[i]!.done).toBeGreaterThanOrEqual(calls[i - 1]!.done);
		}

		// All but the final call are at least 100 ms apart.
		const intermediate = calls.slice(0, -1);
		for (let i = 1; i < intermediate.length; i++) {
			expect(intermediate[i]!.at - intermediate[i - 1]!.at).toBeGreaterThanOrEqual(99);
		}

		expect(calls.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2);
	});

	it('throws the reason of an already-aborted signal without reading', async () => {
		const reason = new Error('stop now');
		await expect(hashFile(file, 'sha256', {signal: AbortSignal.abort(reason)})).rejects.toBe(reason);
	});

	it('throws the reason when aborted during hashing', async () => {
		const controller = new AbortController();
		const reason = new Error('user cancelled');
		let progressCalls = 0;
		// A sparse file large enough that hashing it takes several progress intervals.
		const big = path.join(dir, 'big.img');
		const fh = await fsp.open(big, 'w');
		await fh.truncate(2 * 1024 * 1024 * 1024);
		await fh.close();
		const result = hashFile(big, 'sha512', {
			signal: controller.signal,
			onProgress: done => {
				progressCalls++;
				if (done < 2 * 1024 * 1024 * 1024) {
					controller.abort(reason);
				}
			},
		});
		await expect(result).rejects.toBe(reason);
		expect(progressCalls).toBe(1);
		fs.rmSync(big);
	});

	it('fails when the file is shorter than the end asked for', async () => {
		const error = await hashFile(file, 'sha256', {end: content.length + 10}).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(IsomanError);
		expect((error as IsomanError).code).toBe('io');
		expect((error as IsomanError).message).toContain(`ended at byte ${content.length}`);
	});

	it('rejects a missing file and bad ranges', async () => {
		await expect(hashFile(path.join(dir, 'missing'), 'sha256')).rejects.toMatchObject({code: 'ENOENT'});
		await expect(hashFile(file, 'sha256', {start: 10, end: 5})).rejects.toThrow(RangeError);
		await expect(hashFile(file, 'sha256', {start: -1})).rejects.toThrow(RangeError);
	});
});

describe('hashPrefix', () => {
	it('feeds the first bytes into an existing hash, which a resumed download then continues', async () => {
		const have = 2 * HASH_CHUNK_BYTES + 99;
		const part = path.join(dir, 'resume.part');
		fs.writeFileSync(part, content.subarray(0, have));
		const fh = await fsp.open(part, 'r+');
		try {
			const hash = createHasher('blake2b512');
			await hashPrefix(fh, have, hash);
			// The rest arrives over the network and is appended.
			const rest = content.subarray(have);
			await fh.write(rest, 0, rest.length, have);
			hash.update(rest);
			expect(hash.digest('hex')).toBe(digest('blake2b512', content));
		} finally {
			await fh.close();
		}

		expect(fs.readFileSync(part).equals(content)).toBe(true);
	});

	it('hashes only `length` bytes of a longer file', async () => {
		const fh = await fsp.open(file, 'r');
		try {
			const hash = createHasher('sha1');
			await hashPrefix(fh, 1000, hash);
			expect(hash.digest('hex')).toBe(digest('sha1', content.subarray(0, 1000)));
		} finally {
			await fh.close();
		}
	});

	it('fails when the file is shorter than `length`, and on an aborted signal', async () => {
		const fh = await fsp.open(file, 'r');
		try {
			await expect(hashPrefix(fh, content.length + 1, createHasher('md5'))).rejects.toThrow(/ended at byte/);
			const reason = new Error('bye');
			await expect(hashPrefix(fh, 10, createHasher('md5'), AbortSignal.abort(reason))).rejects.toBe(reason);
		} finally {
			await fh.close();
		}
	});
});
