/**
 * V8's young generation stays at its initial 2 × 1 MiB in a process started as `isoman` is (dist/bin.js's first
 * import, young-generation.js), also once a worker thread exists (V8 resets the growth flag when an isolate is
 * created; the hashing thread's start re-applies it). Real node child processes, a real Worker, allocation that
 * grows the young generation to its maximum without the cap (the control case proves the check can fail).
 */
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {describe, expect, it} from 'vitest';
import {DIST} from './helpers.js';

/** A script that churns the heap (with a Worker up), then prints the young generation's size in MiB. */
function youngGenerationMiB(cap: 'none' | 'before worker' | 'before and after worker'): number {
	const module = pathToFileURL(path.join(DIST, 'core', 'young-generation.js')).href;
	const script = `
		import v8 from 'node:v8';
		import {Worker} from 'node:worker_threads';
		const cap = ${JSON.stringify(cap)};
		const {capYoungGeneration} = cap === 'none' ? {capYoungGeneration: () => {}} : await import(${JSON.stringify(module)});
		const worker = new Worker('setInterval(() => {}, 1000)', {eval: true});
		await new Promise(resolve => worker.once('online', resolve));
		if (cap === 'before and after worker') capYoungGeneration();
		let keep = [];
		for (let i = 0; i < 300000; i++) {
			keep.push(new Array(50).fill({i}));
			if (keep.length > 2000) keep = [];
		}
		const young = v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space');
		console.log(young.space_size / 1048576);
		process.exit(0);
	`;
	const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'});
	expect(r.status, r.stderr).toBe(0);
	return Number(r.stdout.trim());
}

describe('young generation cap', () => {
	it('dist/bin.js, the package bin, runs the program (cli.js) after capping', () => {
		const r = spawnSync(process.execPath, [path.join(DIST, 'bin.js'), '--version'], {encoding: 'utf8'});
		expect(r.status, r.stderr).toBe(0);
		expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
	});

	it('without it the young generation grows to many MiB (the control); with it re-applied after a worker starts it stays at 2 MiB', () => {
		expect(youngGenerationMiB('none')).toBeGreaterThanOrEqual(16);
		// A worker's isolate puts the growth factor back: the cap applied only before it does not hold.
		expect(youngGenerationMiB('before worker')).toBeGreaterThanOrEqual(16);
		expect(youngGenerationMiB('before and after worker')).toBeLessThanOrEqual(2);
	});
});
