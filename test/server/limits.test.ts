/**
 * The server's limits, against the real daemon: a connection past --max-connections gets a clear 503 (and the
 * next one is served once a slot frees); headers must arrive within 10 s (408, then closed); a slow download
 * outlives every timeout; the daemon stops serving on SIGTERM and exits 0 while a client is mid-download.
 */
import net from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Image} from '../../source/core/types.js';
import {killChildren} from '../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, parseRaw, rawGet, rawRequest, serve} from './helpers.js';

const MiB = 1024 * 1024;

let lib: TempLibrary;
let origin: TestServer;
let image: Image;

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	[image] = (await completeImages(lib.dir, origin, [{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 4 * MiB, seed: 1}])) as [Image];
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

async function connected(port: number): Promise<net.Socket> {
	const socket = net.connect({host: '127.0.0.1', port});
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', resolve);
		socket.once('error', reject);
	});
	return socket;
}

describe('limits', () => {
	it('past --max-connections a connection gets 503 with Retry-After and a message; a freed slot serves again', async () => {
		const serving = await serve(lib.dir, ['--max-connections', '2']);
		try {
			const held = [await connected(serving.port), await connected(serving.port)];
			// The server has counted both before the third arrives: ask on one of them first.
			held[0]!.write(`GET /health HTTP/1.1\r\nHost: x\r\n\r\n`);
			await new Promise(resolve => held[0]!.once('data', resolve));
			const refused = await rawRequest(serving.port, rawGet('/health'));
			expect(refused.status).toBe(503);
			expect(refused.headers['retry-after']).toBe('5');
			expect(refused.headers['connection']).toBe('close');
			expect(JSON.parse(refused.body.toString())).toMatchObject({success: false, error: {code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('limit is 2')}});
			for (const socket of held) socket.destroy();
			await waitFor(async () => (await rawRequest(serving.port, rawGet('/health'))).status === 200, {what: 'a freed slot', intervalMs: 50});
		} finally {
			serving.daemon.kill('SIGTERM');
			await serving.daemon.exited;
		}
	});

	it('headers that do not arrive within 10 s get 408 and the connection closed, while a slow download outlives it', async () => {
		const serving = await serve(lib.dir);
		try {
			// A slow client: reads the 4 MiB image at about 300 KB/s (over 13 s), pausing between reads.
			const slow = (async () => {
				const socket = await connected(serving.port);
				socket.write(rawGet(`/images/${image.filePath}`));
				const chunks: Buffer[] = [];
				let total = 0;
				const started = Date.now();
				socket.on('data', chunk => {
					chunks.push(chunk);
					total += chunk.length;
					socket.pause();
					const due = started + (total / 300_000) * 1000;
					setTimeout(() => socket.resume(), Math.max(0, due - Date.now()));
				});
				await new Promise(resolve => socket.once('close', resolve));
				return {response: parseRaw(Buffer.concat(chunks)), ms: Date.now() - started};
			})();

			const started = Date.now();
			const partial = await connected(serving.port);
			partial.write('GET /health HTTP/1.1\r\nHost: x\r\n');
			const answer: Buffer[] = [];
			partial.on('data', chunk => answer.push(chunk));
			await new Promise(resolve => partial.once('close', resolve));
			const waited = Date.now() - started;
			expect(parseRaw(Buffer.concat(answer)).status).toBe(408);
			expect(waited).toBeGreaterThanOrEqual(9_500);
			expect(waited).toBeLessThan(20_000);

			const {response, ms} = await slow;
			expect(response.status).toBe(200);
			expect(response.body.length).toBe(image.sizeBytes);
			expect(ms).toBeGreaterThan(10_000);
		} finally {
			serving.daemon.kill('SIGTERM');
			await serving.daemon.exited;
		}
	});

	it('SIGTERM during a download: the server stops, the daemon exits 0 within 5 s', async () => {
		const serving = await serve(lib.dir);
		const socket = await connected(serving.port);
		socket.write(rawGet(`/images/${image.filePath}`));
		// Read one chunk and then nothing: the response waits on the socket.
		await new Promise(resolve => socket.once('data', resolve));
		socket.pause();
		const signalled = Date.now();
		serving.daemon.kill('SIGTERM');
		const exit = await serving.daemon.exited;
		expect(exit.code).toBe(0);
		expect(exit.at - signalled).toBeLessThan(5_000);
		expect(serving.daemon.lines.at(-1)).toMatchObject({event: 'stopped', exit_code: 0});
		socket.destroy();
		await expect(rawRequest(serving.port, rawGet('/health'), 2000)).rejects.toThrow();
	});
});
