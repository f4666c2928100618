/**
 * The library lock under contention: many threads try to take a stale lock at the same instant, round after
 * round; exactly one may win each round (no reader may take a lock being written for a broken one, and no
 * takeover may remove a lock another process has just taken).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Worker} from 'node:worker_threads';
import {afterEach, expect, it} from 'vitest';
import {tempLibrary, type TempLibrary} from '../support/library.js';

let lib: TempLibrary | undefined;
afterEach(() => {
	lib?.cleanup();
	lib = undefined;
});

it('of 6 threads racing for a stale lock, exactly one wins, in each of 150 rounds', async () => {
	lib = tempLibrary();
	const {dir} = lib;
	const lockFile = path.join(dir, 'isoman.lock');
	const state = new Int32Array(new SharedArrayBuffer(16));
	const threads = 6;
	const workers = Array.from({length: threads}, () => new Worker(new URL('lock-worker.mjs', import.meta.url), {workerData: {dataDir: dir, state: state.buffer}}));
	const failures: string[] = [];
	try {
		for (let round = 1; round <= 150; round++) {
			// Alternate a stale lock (a dead pid) and no lock at all.
			if (round % 2 === 0) fs.writeFileSync(lockFile, JSON.stringify({pid: 2 ** 22 + 1, host: os.hostname(), startedAt: new Date().toISOString(), role: 'daemon'}) + '\n');
			else fs.rmSync(lockFile, {force: true});
			Atomics.store(state, 1, 0);
			Atomics.store(state, 2, 0);
			Atomics.store(state, 0, round);
			Atomics.notify(state, 0);
			const deadline = Date.now() + 10_000;
			while (Atomics.load(state, 2) < threads) {
				if (Date.now() > deadline) throw new Error(`round ${round}: only ${Atomics.load(state, 2)} of ${threads} threads answered`);
				await new Promise(resolve => setImmediate(resolve));
			}

			const winners = Atomics.load(state, 1);
			if (winners !== 1) failures.push(`round ${round}: ${winners} winners`);
		}
	} finally {
		Atomics.store(state, 0, -1);
		Atomics.notify(state, 0);
		await Promise.all(workers.map(async w => w.terminate()));
	}

	expect(failures).toEqual([]);
	expect(Atomics.load(state, 3)).toBe(0); // no unexpected errors
	expect(fs.readdirSync(dir).filter(f => f.startsWith('isoman.lock') && f !== 'isoman.lock')).toEqual([]);
});
