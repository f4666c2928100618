/**
 * Download accounting and the access log, against the real daemon: a whole-file response counts one download
 * (and a timestamped event), ranges and aborted transfers count bytes only, HEAD, 304 and sidecars count
 * nothing; `show --json` and `list --json` carry the numbers; every response writes an access line.
 */
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Image} from '../../source/core/types.js';
import {isoman, killChildren} from '../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, logRecords, rawGet, rawRequest, serve, type Serving} from './helpers.js';

const MiB = 1024 * 1024;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let small: Image;
let big: Image;

type Counts = {download_count: number; bytes_served: number};

async function counts(id: string): Promise<Counts> {
	const json = JSON.parse((await isoman(lib.dir, ['show', id, '--json'])).stdout) as Counts;
	return {download_count: json.download_count, bytes_served: json.bytes_served};
}

/** Poll `show --json` until the counts are `expected` (they are written within about a second). */
async function expectCounts(id: string, expected: Counts): Promise<void> {
	let last: Counts | undefined;
	await waitFor(
		async () => {
			last = await counts(id);
			return last.download_count === expected.download_count && last.bytes_served === expected.bytes_served;
		},
		{timeoutMs: 10_000, intervalMs: 200, what: `counts of ${id} to be ${JSON.stringify(expected)}`},
	).catch(error => {
		throw new Error(`${(error as Error).message}; last ${JSON.stringify(last)}`);
	});
}

function downloadEvents(id: string): string[] {
	const db = new Database(path.join(lib.dir, 'isoman.db'), {readonly: true});
	try {
		return (db.prepare('SELECT ts FROM download_events WHERE image_id = ? ORDER BY id').all(id) as Array<{ts: string}>).map(r => r.ts);
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	[small, big] = (await completeImages(lib.dir, origin, [
		{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 300 * 1024, seed: 1},
		{path: '/pub/debian-12.5.0-amd64-netinst.iso', size: 64 * MiB, seed: 2},
	])) as [Image, Image];
	serving = await serve(lib.dir);
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

describe('download accounting', () => {
	it('a whole GET counts one download and its bytes; a range counts bytes; HEAD, 304 and the sidecar count nothing', async () => {
		const size = small.sizeBytes!;
		expect(await counts(small.id)).toEqual({download_count: 0, bytes_served: 0});
		const before = Date.now();
		await (await fetch(`${serving.url}/images/${small.filePath}`)).arrayBuffer();
		await expectCounts(small.id, {download_count: 1, bytes_served: size});
		const events = downloadEvents(small.id);
		expect(events).toHaveLength(1);
		expect(Date.parse(events[0]!)).toBeGreaterThanOrEqual(before - 1000);

		await (await fetch(`${serving.url}/images/${small.filePath}`, {headers: {Range: 'bytes=100-199'}})).arrayBuffer();
		await (await fetch(`${serving.url}/images/${small.filePath}`, {headers: {Range: 'bytes=-50'}})).arrayBuffer();
		await expectCounts(small.id, {download_count: 1, bytes_served: size + 150});

		// A range that starts at 0 and covers the whole file is a whole download.
		await (await fetch(`${serving.url}/images/${small.filePath}`, {headers: {Range: 'bytes=0-'}})).arrayBuffer();
		await expectCounts(small.id, {download_count: 2, bytes_served: 2 * size + 150});

		await rawRequest(serving.port, rawGet(`/images/${small.filePath}`, 'HEAD'));
		const etag = `"sha256-${small.checksum}"`;
		expect((await rawRequest(serving.port, rawGet(`/images/${small.filePath}`, 'GET', {'If-None-Match': etag}))).status).toBe(304);
		await (await fetch(`${serving.url}/images/${small.filePath}.sha256`)).arrayBuffer();
		// A response after those, so that what they would have counted has been written by now.
		await (await fetch(`${serving.url}/images/${small.filePath}`, {headers: {Range: 'bytes=0-0'}})).arrayBuffer();
		await expectCounts(small.id, {download_count: 2, bytes_served: 2 * size + 151});
		expect(downloadEvents(small.id)).toHaveLength(2);
		// list --json has them too.
		const listed = (JSON.parse((await isoman(lib.dir, ['list', '--json'])).stdout) as Array<Counts & {id: string}>).find(i => i.id === small.id)!;
		expect(listed).toMatchObject({download_count: 2, bytes_served: 2 * size + 151});
		// show says it in words, with the image's URL on this server (read from <data>/isoman.serve).
		const shown = (await isoman(lib.dir, ['show', small.id])).stdout;
		expect(shown).toMatch(/^served\s+2 times, 600 KiB sent$/m);
		expect(shown).toMatch(/^last checked\s+\d{4}-\d\d-\d\dT/m);
		expect(shown).toContain(`download at      ${serving.url}/images/${small.filePath}`);
	});

	it('an aborted transfer counts the bytes that went out, not a download', async () => {
		const socket = net.connect({host: '127.0.0.1', port: serving.port});
		socket.write(rawGet(`/images/${big.filePath}`));
		let received = 0;
		await new Promise<void>(resolve => {
			socket.on('data', chunk => {
				received += chunk.length;
				if (received >= 2 * MiB) {
					socket.destroy();
					resolve();
				}
			});
		});
		let served = 0;
		await waitFor(
			async () => {
				served = (await counts(big.id)).bytes_served;
				return served >= 2 * MiB;
			},
			{timeoutMs: 10_000, intervalMs: 200, what: 'the aborted bytes to be counted'},
		);
		// Counted: what was handed to the kernel (what the client read plus what sat in socket buffers).
		const after = await counts(big.id);
		expect(after.download_count).toBe(0);
		expect(after.bytes_served).toBeLessThan(big.sizeBytes!);
		expect(downloadEvents(big.id)).toEqual([]);
	});

	it('writes one access line per response: method, path, status, bytes, duration, client', async () => {
		await (await fetch(`${serving.url}/images/${small.filePath}`, {headers: {Range: 'bytes=0-9'}})).arrayBuffer();
		await (await fetch(`${serving.url}/images/nothing-here`)).arrayBuffer();
		await rawRequest(serving.port, rawGet('/images/%2e%2e/isoman.db'));
		const lines = await waitFor(() => {
			const access = logRecords(lib.dir).filter(r => r['event'] === 'http.access');
			return access.some(r => r['path'] === '/images/%2e%2e/isoman.db') && access;
		});
		const ranged = lines.find(r => r['path'] === `/images/${small.filePath}` && r['status'] === 206)!;
		expect(ranged).toMatchObject({level: 'info', method: 'GET', status: 206, client: '127.0.0.1'});
		expect(ranged['bytes']).toBeGreaterThan(10);
		expect(typeof ranged['ms']).toBe('number');
		expect(typeof ranged['ts']).toBe('string');
		expect(lines.find(r => r['path'] === '/images/nothing-here')).toMatchObject({status: 404});
		expect(lines.find(r => r['path'] === '/images/%2e%2e/isoman.db')).toMatchObject({status: 400});
		expect(lines.find(r => r['path'] === `/images/${big.filePath}`)).toMatchObject({aborted: true});
	});
});
