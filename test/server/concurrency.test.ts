/**
 * Many clients at once, against the real daemon, while it downloads: 50 clients asking random ranges of a large
 * image (256 MiB here to keep CI time reasonable; the rule does not depend on the size), every byte compared with
 * the file on disk; the daemon's RSS stays flat (bounded per client, not by the file's size); a download running
 * meanwhile completes, verified. Figures are printed for the report, not asserted as speeds.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Agent, request} from 'undici';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Image} from '../../source/core/types.js';
import {addImage, isEvent, killChildren} from '../cli/helpers.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {seededRandom} from '../support/random.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, serve, type Serving} from './helpers.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const CLIENTS = 50;
const RANGES_PER_CLIENT = 6;
const SEED = 1301;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let big: Image;
let fd: number;

function rssOf(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples the daemon's RSS every 50 ms until stopped; returns the peak. */
function sampleRss(pid: number): {stop(): number} {
	let peak = rssOf(pid);
	const timer = setInterval(() => {
		peak = Math.max(peak, rssOf(pid));
	}, 50);
	return {
		stop() {
			clearInterval(timer);
			return Math.max(peak, rssOf(pid));
		},
	};
}

function onDisk(start: number, end: number): Buffer {
	const buffer = Buffer.allocUnsafe(end - start + 1);
	fs.readSync(fd, buffer, 0, buffer.length, start);
	return buffer;
}

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	[big] = (await completeImages(lib.dir, origin, [{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: SIZE, seed: 1}])) as [Image];
	fd = fs.openSync(path.join(lib.dir, 'images', big.filePath), 'r');
	serving = await serve(lib.dir);
});

afterAll(async () => {
	if (fd !== undefined) fs.closeSync(fd);
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

describe(`${CLIENTS} clients at once`, () => {
	it('one slow whole-file client: the daemon holds a few chunks for it, not the file', async () => {
		// Warm up (first request loads modules, fills caches), then measure.
		await (await fetch(`${serving.url}/images/${big.filePath}`, {headers: {Range: 'bytes=0-1048575'}})).arrayBuffer();
		const baseline = rssOf(serving.daemon.pid);
		const rss = sampleRss(serving.daemon.pid);
		const response = await fetch(`${serving.url}/images/${big.filePath}`);
		const reader = response.body!.getReader();
		let total = 0;
		for (;;) {
			const {done, value} = await reader.read();
			if (done) break;
			total += value.length;
			// Slower than the server: backpressure, not buffering, must hold it back.
			if (total % (16 * MiB) < value.length) await new Promise(resolve => setTimeout(resolve, 20));
		}

		const peak = rss.stop();
		expect(total).toBe(SIZE);
		console.log(`serving 256 MiB to one client: daemon RSS ${(baseline / MiB).toFixed(0)} MiB → peak ${(peak / MiB).toFixed(0)} MiB`);
		expect(peak - baseline).toBeLessThan(48 * MiB);
	});

	it(`${CLIENTS} clients × ${RANGES_PER_CLIENT} random ranges while a download runs: every byte right, RSS bounded per client, the download completes`, async () => {
		// A download in the same daemon while the clients run, throttled so it lasts through them.
		const downloadSha = await origin.serve('/pub/debian-12.5.0-amd64-netinst.iso', {kind: 'generated', size: 48 * MiB, seed: 9, fileType: 'iso'}, {throttleBps: 12 * MiB});
		const id = await addImage(lib.dir, origin.url('/pub/debian-12.5.0-amd64-netinst.iso'), ['--checksum', `sha256:${downloadSha}`]);
		const downloading = await serving.daemon.next(isEvent('downloading', id), {what: 'the download to start'});

		const baseline = rssOf(serving.daemon.pid);
		const rss = sampleRss(serving.daemon.pid);
		const random = seededRandom(SEED);
		// Kept-alive sockets are dropped by the client well before the server's 5 s idle limit, as HTTP clients
		// should: on a loaded machine a request sent on a socket the server is just closing would fail otherwise.
		const agent = new Agent({keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000});
		const started = performance.now();
		let bytes = 0;
		const client = async (n: number) => {
			for (let i = 0; i < RANGES_PER_CLIENT; i++) {
				const length = 1 + Math.floor(random() * 4 * MiB);
				const start = Math.floor(random() * (SIZE - length));
				const end = start + length - 1;
				const response = await request(`${serving.url}/images/${big.filePath}`, {headers: {Range: `bytes=${start}-${end}`}, dispatcher: agent});
				expect(response.statusCode, `client ${n} range ${i}`).toBe(206);
				expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
				const body = Buffer.from(await response.body.arrayBuffer());
				expect(body.equals(onDisk(start, end)), `client ${n}: bytes ${start}-${end} (seed ${SEED})`).toBe(true);
				bytes += body.length;
			}
		};

		await Promise.all(Array.from({length: CLIENTS}, async (_, n) => client(n)));
		const seconds = (performance.now() - started) / 1000;
		const peak = rss.stop();
		await agent.close();
		console.log(
			`${CLIENTS} clients: ${(bytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(bytes / MiB / seconds).toFixed(0)} MiB/s); ` +
				`daemon RSS ${(baseline / MiB).toFixed(0)} MiB → peak ${(peak / MiB).toFixed(0)} MiB`,
		);
		// At most a few 1 MiB chunks per client, whatever the file's size (the file is 256 MiB, the ranges 300 MiB).
		expect(peak - baseline).toBeLessThan(CLIENTS * 4 * MiB);

		const complete = await serving.daemon.next(isEvent('complete', id), {timeoutMs: 60_000, what: 'the download to complete'});
		expect(complete).toMatchObject({checksum: downloadSha, verified: true});
		const downloadSeconds = (complete.receivedAt - downloading.receivedAt) / 1000;
		console.log(`the download meanwhile: 48 MiB throttled to 12 MiB/s by its server took ${downloadSeconds.toFixed(1)} s (${(48 / downloadSeconds).toFixed(1)} MiB/s)`);
	});
});
