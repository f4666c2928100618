/**
 * The scheduled integrity check (`--verify-every`, `--verify-rate`): against the real daemon, a good check moves
 * `verified_at`, a file changed on disk becomes failed/corrupt (an event and a notice), and is no longer served
 * while the others still are. The scheduler spreads the checks over the period, one at a time, oldest first;
 * the read rate is bounded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {hashFile} from '../../source/core/checksum/hash-file.js';
import {silentLogger} from '../../source/core/log.js';
import {startScrub} from '../../source/core/scrub.js';
import type {Image} from '../../source/core/types.js';
import {isoman, isEvent, killChildren} from '../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, serve} from './helpers.js';

const MiB = 1024 * 1024;

let lib: TempLibrary;
let origin: TestServer;

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

async function verifiedAt(id: string): Promise<string | null> {
	return (JSON.parse((await isoman(lib.dir, ['show', id, '--json'])).stdout) as {verified_at: string | null}).verified_at;
}

describe('scheduled scrub in the daemon', () => {
	it('re-checks each image about once per period; a changed file becomes corrupt and is no longer served', async () => {
		const [a, b] = (await completeImages(lib.dir, origin, [
			{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 2 * MiB, seed: 1},
			{path: '/pub/debian-12.5.0-amd64-netinst.iso', size: MiB, seed: 2},
		])) as [Image, Image];
		const serving = await serve(lib.dir, ['--verify-every', '2s', '--verify-rate', '200MB/s']);
		for (const image of [a, b]) {
			await waitFor(async () => (await verifiedAt(image.id)) !== image.verifiedAt, {timeoutMs: 20_000, intervalMs: 250, what: `a scheduled check of ${image.id}`});
		}

		// Change one byte of a (same size, same times): the next check finds it.
		const file = path.join(lib.dir, 'images', a.filePath);
		const fd = fs.openSync(file, 'r+');
		fs.writeSync(fd, Buffer.from([0x42]), 0, 1, MiB + 7);
		fs.closeSync(fd);
		const from = serving.daemon.lines.length;
		const failed = await serving.daemon.next(isEvent('failed', a.id), {from, timeoutMs: 20_000, what: 'the corrupt image failed'});
		expect(failed).toMatchObject({level: 'error', from: 'complete', status: 'failed', error_code: 'corrupt'});
		const notice = await serving.daemon.next(line => line.event === 'notice' && line.id === a.id, {from, what: 'the notice'});
		expect(String(notice['message'])).toMatch(/Scheduled check: .* is corrupt; it is no longer served/);
		expect((await fetch(`${serving.url}/images/${a.filePath}`, {method: 'HEAD'})).status).toBe(404);
		expect((await fetch(`${serving.url}/images/${a.filePath}.sha256`, {method: 'HEAD'})).status).toBe(404);
		expect((await fetch(`${serving.url}/images/${b.filePath}`, {method: 'HEAD'})).status).toBe(200);
		const shown = JSON.parse((await isoman(lib.dir, ['show', a.id, '--json'])).stdout) as {status: string; error_code: string};
		expect(shown).toMatchObject({status: 'failed', error_code: 'corrupt'});
		serving.daemon.kill('SIGTERM');
		expect((await serving.daemon.exited).code).toBe(0);
	});
});

describe('the scheduler', () => {
	it('checks one image at a time, the least recently checked first, spread over the period', async () => {
		const long = new Date(Date.now() - 3_600_000).toISOString();
		const images = ['a', 'b', 'c', 'd'].map((id, i) => ({id, verifiedAt: new Date(Date.parse(long) + i * 1000).toISOString(), completedAt: long}) as Image);
		const runs: Array<{id: string; start: number; end: number}> = [];
		let running = 0;
		let maxRunning = 0;
		const scrub = startScrub(
			{
				next: () => [...images].sort((x, y) => Date.parse(x.verifiedAt!) - Date.parse(y.verifiedAt!))[0],
				count: () => images.length,
				async verify(image) {
					running++;
					maxRunning = Math.max(maxRunning, running);
					const start = Date.now();
					await new Promise(resolve => setTimeout(resolve, 20));
					image.verifiedAt = new Date().toISOString();
					running--;
					runs.push({id: image.id, start, end: Date.now()});
				},
				log: silentLogger,
			},
			2,
			1e6,
		);
		await waitFor(() => runs.length >= 4, {timeoutMs: 10_000, what: 'four checks'});
		await scrub.stop();
		expect(runs.slice(0, 4).map(r => r.id)).toEqual(['a', 'b', 'c', 'd']);
		expect(maxRunning).toBe(1);
		// period 2 s over 4 images: at least 500 ms between the end of one check and the start of the next.
		for (let i = 1; i < 4; i++) expect(runs[i]!.start - runs[i - 1]!.end).toBeGreaterThanOrEqual(450);
	});

	it('stop() ends a wait at once', async () => {
		const scrub = startScrub({next: () => undefined, count: () => 0, verify: async () => undefined, log: silentLogger}, 86_400, 1e6);
		const started = Date.now();
		await scrub.stop();
		expect(Date.now() - started).toBeLessThan(1000);
	});
});

describe('the read rate', () => {
	it('hashFile with a rate reads no faster than it', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-rate-'));
		try {
			const file = path.join(dir, 'f.bin');
			fs.writeFileSync(file, Buffer.alloc(4 * MiB, 7));
			const started = performance.now();
			const limited = await hashFile(file, 'sha256', {rate: 8e6});
			const ms = performance.now() - started;
			expect(limited.bytes).toBe(4 * MiB);
			// 4 MiB at 8 MB/s is 524 ms; the last chunk is not waited for (3 of 4 chunks are: ≥ 390 ms).
			expect(ms).toBeGreaterThanOrEqual(390);
			expect(limited.hex).toBe((await hashFile(file, 'sha256')).hex);
		} finally {
			fs.rmSync(dir, {recursive: true, force: true});
		}
	});
});
