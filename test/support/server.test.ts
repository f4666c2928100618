import {createHash} from 'node:crypto';
import http from 'node:http';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {generatedBytes, startTestServer, type TestServer} from './server.js';

type Got = {status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean};

/** One request on its own connection; resolves when the response closes, complete or not. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, {method, headers, agent: false}, res => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('error', () => {}); // A premature close shows as complete === false.
			res.on('close', () => {
				resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete});
			});
		});
		req.on('error', reject);
		req.end();
	});
}

/** A request whose progress can be watched while it runs. */
function startGet(url: string, headers: Record<string, string> = {}) {
	const state = {received: 0, chunks: [] as Buffer[], closed: false, complete: false, status: 0, request: undefined as http.ClientRequest | undefined};
	const done = new Promise<void>((resolve, reject) => {
		state.request = http.request(url, {headers, agent: false}, res => {
			state.status = res.statusCode ?? 0;
			res.on('data', (chunk: Buffer) => {
				state.received += chunk.length;
				state.chunks.push(chunk);
			});
			res.on('error', () => {});
			res.on('close', () => {
				state.closed = true;
				state.complete = res.complete;
				resolve();
			});
		});
		state.request.on('error', error => {
			state.closed = true;
			if (state.status === 0) reject(error);
			else resolve();
		});
		state.request.end();
	});
	return {state, done};
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 5));
	}
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let server: TestServer;

beforeEach(async () => {
	server = await startTestServer();
});

afterEach(async () => {
	await server.close();
});

describe('generated content', () => {
	it('is deterministic per seed, differs between seeds, and carries the magic of its file type', () => {
		const a = generatedBytes(300_000, 1);
		expect(a.equals(generatedBytes(300_000, 1))).toBe(true);
		expect(a.equals(generatedBytes(300_000, 2))).toBe(false);
		// A prefix of a longer file is the shorter file.
		expect(generatedBytes(1000, 1).equals(a.subarray(0, 1000))).toBe(true);
		// No obvious repetition between blocks.
		expect(a.subarray(0, 65_536).equals(a.subarray(65_536, 131_072))).toBe(false);

		const iso = generatedBytes(100_000, 1, 'iso');
		expect(iso.subarray(0x80_01, 0x80_06).toString('latin1')).toBe('CD001');
		expect(iso.subarray(0, 0x80_01).equals(a.subarray(0, 0x80_01))).toBe(true);
		expect(generatedBytes(1000, 3, 'qcow2').subarray(0, 4)).toEqual(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
		// Too short for the magic: left alone, as stampMagic does.
		expect(generatedBytes(0x80_00, 1, 'iso').equals(a.subarray(0, 0x80_00))).toBe(true);
	});

	it('serves the full body matching generatedBytes and the sha256 serve() returned, with validators', async () => {
		const size = 3 * 1024 * 1024 + 12_345;
		const sha = await server.serve('/img.iso', {kind: 'generated', size, seed: 42, fileType: 'iso'});
		const expected = generatedBytes(size, 42, 'iso');
		expect(sha).toBe(sha256(expected));

		const got = await get(server.url('/img.iso?x=1'), {'User-Agent': 'isoman/test'});
		expect(got.status).toBe(200);
		expect(got.complete).toBe(true);
		expect(got.headers['content-length']).toBe(String(size));
		expect(got.headers['accept-ranges']).toBe('bytes');
		expect(got.headers['content-type']).toBe('application/octet-stream');
		expect(got.headers.etag).toMatch(/^"[^"]+"$/);
		expect(got.headers['last-modified']).toBeDefined();
		expect(got.body.equals(expected)).toBe(true);

		// Validators are stable, and re-serving the same content keeps them.
		const again = await get(server.url('/img.iso'), {}, 'HEAD');
		expect(again.body.length).toBe(0);
		expect(again.headers['content-length']).toBe(String(size));
		expect(again.headers.etag).toBe(got.headers.etag);
		expect(again.headers['last-modified']).toBe(got.headers['last-modified']);
		await server.serve('/img.iso', {kind: 'generated', size, seed: 42, fileType: 'iso'});
		expect((await get(server.url('/img.iso'), {}, 'HEAD')).headers.etag).toBe(got.headers.etag);
		await server.serve('/img.iso', {kind: 'generated', size, seed: 43, fileType: 'iso'});
		expect((await get(server.url('/img.iso'), {}, 'HEAD')).headers.etag).not.toBe(got.headers.etag);

		const records = server.requestsFor('/img.iso');
		expect(records).toHaveLength(4);
		expect(records[0]).toMatchObject({method: 'GET', path: '/img.iso', status: 200, bytesSent: size, userAgent: 'isoman/test', range: undefined});
		expect(records[1]).toMatchObject({method: 'HEAD', bytesSent: 0});
	});

	it('serves literal buffers and 404s unknown paths', async () => {
		const data = Buffer.from('hello, world\n');
		expect(await server.serve('/hello.txt', {kind: 'buffer', data}, {contentType: 'text/plain'})).toBe(sha256(data));
		const got = await get(server.url('/hello.txt'));
		expect(got.body.toString()).toBe('hello, world\n');
		expect(got.headers['content-type']).toBe('text/plain');
		expect((await get(server.url('/nope'))).status).toBe(404);
	});
});

describe('ranges', () => {
	const size = 1024 * 1024 + 777;

	it('answers bytes=N-M and bytes=N- with 206 and Content-Range, from any offset', async () => {
		await server.serve('/f', {kind: 'generated', size, seed: 5});
		const expected = generatedBytes(size, 5);
		for (const [start, end] of [
			[0, 0],
			[1, 65_537],
			[65_535, 200_003],
			[size - 10, size - 1],
		] as const) {
			const got = await get(server.url('/f'), {Range: `bytes=${start}-${end}`});
			expect(got.status).toBe(206);
			expect(got.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
			expect(got.headers['content-length']).toBe(String(end - start + 1));
			expect(got.body.equals(expected.subarray(start, end + 1))).toBe(true);
		}

		const open = await get(server.url('/f'), {Range: 'bytes=123457-'});
		expect(open.status).toBe(206);
		expect(open.headers['content-range']).toBe(`bytes 123457-${size - 1}/${size}`);
		expect(open.body.equals(expected.subarray(123_457))).toBe(true);

		// An end past the file is clamped.
		const clamped = await get(server.url('/f'), {Range: `bytes=${size - 5}-${size + 100}`});
		expect(clamped.headers['content-range']).toBe(`bytes ${size - 5}-${size - 1}/${size}`);
		expect(clamped.body.length).toBe(5);
	});

	it('answers 416 with bytes */size when the range starts at or past the end', async () => {
		await server.serve('/f', {kind: 'generated', size, seed: 5});
		const got = await get(server.url('/f'), {Range: `bytes=${size}-`});
		expect(got.status).toBe(416);
		expect(got.headers['content-range']).toBe(`bytes */${size}`);
		expect(got.body.length).toBe(0);
		expect(server.requestsFor('/f')[0]?.status).toBe(416);
	});

	it('honours If-Range: a matching ETag or Last-Modified gives 206, anything else the whole body with 200', async () => {
		await server.serve('/f', {kind: 'generated', size, seed: 5});
		const {headers} = await get(server.url('/f'), {}, 'HEAD');
		const etag = headers.etag!;
		const lastModified = headers['last-modified']!;

		expect((await get(server.url('/f'), {Range: 'bytes=100-', 'If-Range': etag})).status).toBe(206);
		expect((await get(server.url('/f'), {Range: 'bytes=100-', 'If-Range': lastModified})).status).toBe(206);

		const stale = await get(server.url('/f'), {Range: 'bytes=100-', 'If-Range': '"something-else"'});
		expect(stale.status).toBe(200);
		expect(stale.headers['content-range']).toBeUndefined();
		expect(stale.body.equals(generatedBytes(size, 5))).toBe(true);
		expect((await get(server.url('/f'), {Range: 'bytes=100-', 'If-Range': `W/${etag}`})).status).toBe(200);

		expect(server.requestsFor('/f')[3]).toMatchObject({range: 'bytes=100-', ifRange: '"something-else"', status: 200});
	});

	it('has the ISO magic at 0x8001 in a range that starts at 0x8000', async () => {
		await server.serve('/a.iso', {kind: 'generated', size: 10 * 1024 * 1024, seed: 11, fileType: 'iso'});
		const got = await get(server.url('/a.iso'), {Range: 'bytes=32768-33791'});
		expect(got.status).toBe(206);
		expect(got.body.subarray(1, 6).toString('latin1')).toBe('CD001');
	});
});

describe('faults', () => {
	it('resetAt: each offset resets one transfer, in order, after exactly that many bytes', async () => {
		const size = 600_000;
		await server.serve('/r', {kind: 'generated', size, seed: 1}, {resetAt: [100_000, 350_000]});
		const expected = generatedBytes(size, 1);

		const first = await get(server.url('/r'));
		expect(first.complete).toBe(false);
		expect(first.body.equals(expected.subarray(0, 100_000))).toBe(true);

		const second = await get(server.url('/r'), {Range: 'bytes=100000-'});
		expect(second.status).toBe(206);
		expect(second.complete).toBe(false);
		expect(second.body.equals(expected.subarray(100_000, 350_000))).toBe(true);

		const third = await get(server.url('/r'), {Range: 'bytes=350000-'});
		expect(third.complete).toBe(true);
		expect(third.body.equals(expected.subarray(350_000))).toBe(true);

		// Both consumed: a fresh full GET goes through.
		expect((await get(server.url('/r'))).complete).toBe(true);
		expect(server.requestsFor('/r').map(r => r.bytesSent)).toEqual([100_000, 250_000, 250_000, size]);
	});

	it('resetAt: a range that does not reach an offset leaves it for a later transfer', async () => {
		await server.serve('/r', {kind: 'generated', size: 10_000, seed: 1}, {resetAt: [5000]});
		expect((await get(server.url('/r'), {Range: 'bytes=0-999'})).complete).toBe(true);
		expect((await get(server.url('/r'), {Range: 'bytes=6000-'})).complete).toBe(true);
		const hit = await get(server.url('/r'), {Range: 'bytes=4000-'});
		expect(hit.complete).toBe(false);
		expect(hit.body.length).toBe(1000);
	});

	it('stallAt: the first transfer stops at the offset and holds the socket; close() does not hang', async () => {
		const size = 500_000;
		await server.serve('/s', {kind: 'generated', size, seed: 2}, {stallAt: 200_000});
		const stalled = startGet(server.url('/s'));
		await until(() => stalled.state.received >= 200_000, 'the bytes before the stall');
		expect(stalled.state.received).toBe(200_000);
		expect(server.requests[0]?.bytesSent).toBe(200_000);
		expect(server.active).toBe(1);

		// Only the first request stalls.
		const next = await get(server.url('/s'));
		expect(next.complete).toBe(true);
		expect(next.body.length).toBe(size);
		expect(stalled.state.received).toBe(200_000);
		expect(stalled.state.closed).toBe(false);

		const closed = server.close();
		const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('close() hung')), 3000));
		await Promise.race([closed, deadline]);
		await stalled.done;
		expect(stalled.state.complete).toBe(false);
		expect(stalled.state.chunks.length).toBeGreaterThan(0);
	});

	it('stallAt: the client going away ends the stalled response', async () => {
		await server.serve('/s', {kind: 'generated', size: 100_000, seed: 2}, {stallAt: 0});
		const stalled = startGet(server.url('/s'));
		await until(() => stalled.state.status === 206 || stalled.state.status === 200, 'headers');
		expect(server.active).toBe(1);
		stalled.state.request?.destroy();
		await until(() => server.active === 0, 'the server to notice');
	});

	it('statuses: used once each, in order, with their headers and body, then normal service', async () => {
		await server.serve('/st', {kind: 'buffer', data: Buffer.from('payload')}, {
			statuses: [
				{status: 503, headers: {'Retry-After': '2'}, body: 'busy'},
				{status: 429, headers: {'Retry-After': '0'}},
				{status: 404},
			],
		});
		const a = await get(server.url('/st'));
		expect(a.status).toBe(503);
		expect(a.headers['retry-after']).toBe('2');
		expect(a.body.toString()).toBe('busy');
		const b = await get(server.url('/st'));
		expect(b.status).toBe(429);
		expect(b.headers['retry-after']).toBe('0');
		expect((await get(server.url('/st'))).status).toBe(404);
		const d = await get(server.url('/st'));
		expect(d.status).toBe(200);
		expect(d.body.toString()).toBe('payload');
		expect(server.requestsFor('/st').map(r => r.status)).toEqual([503, 429, 404, 200]);
	});

	it('shortBy: declares the full length, sends fewer bytes and closes, every time', async () => {
		const size = 300_000;
		await server.serve('/short', {kind: 'generated', size, seed: 3}, {shortBy: 1000});
		for (let i = 0; i < 2; i++) {
			const got = await get(server.url('/short'));
			expect(got.headers['content-length']).toBe(String(size));
			expect(got.complete).toBe(false);
			expect(got.body.equals(generatedBytes(size - 1000, 3))).toBe(true);
		}

		const ranged = await get(server.url('/short'), {Range: 'bytes=1000-'});
		expect(ranged.body.length).toBe(size - 2000);
	});

	it('noContentLength: chunked, no Content-Length, complete body', async () => {
		const size = 2 * 1024 * 1024 + 3;
		await server.serve('/nc', {kind: 'generated', size, seed: 4}, {noContentLength: true});
		const got = await get(server.url('/nc'));
		expect(got.headers['content-length']).toBeUndefined();
		expect(got.headers['transfer-encoding']).toBe('chunked');
		expect(got.complete).toBe(true);
		expect(got.body.equals(generatedBytes(size, 4))).toBe(true);
	});

	it('redirectTo: 302 with an absolute Location; chains are followed by fetch', async () => {
		const data = Buffer.from('the real thing');
		await server.serve('/a', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/b'});
		await server.serve('/b', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: server.url('/c')});
		await server.serve('/c', {kind: 'buffer', data});

		const hop = await get(server.url('/a'));
		expect(hop.status).toBe(302);
		expect(hop.headers.location).toBe(server.url('/b'));

		server.resetStats();
		const response = await fetch(server.url('/a'));
		expect(response.status).toBe(200);
		expect(response.url).toBe(server.url('/c'));
		expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
		expect(server.requests.map(r => [r.path, r.status])).toEqual([
			['/a', 302],
			['/b', 302],
			['/c', 200],
		]);
	});

	it('html: a 200 text/html page instead of the content', async () => {
		await server.serve('/h.iso', {kind: 'generated', size: 100_000, seed: 1, fileType: 'iso'}, {html: true});
		const got = await get(server.url('/h.iso'));
		expect(got.status).toBe(200);
		expect(got.headers['content-type']).toMatch(/^text\/html/);
		expect(got.body.toString()).toMatch(/^<!DOCTYPE html>/);
	});

	it('changeEtag: new validators on every request, so If-Range never matches', async () => {
		const size = 50_000;
		await server.serve('/ce', {kind: 'generated', size, seed: 6}, {changeEtag: true});
		const a = await get(server.url('/ce'), {}, 'HEAD');
		const b = await get(server.url('/ce'), {}, 'HEAD');
		expect(a.headers.etag).not.toBe(b.headers.etag);
		expect(a.headers['last-modified']).not.toBe(b.headers['last-modified']);
		const got = await get(server.url('/ce'), {Range: 'bytes=1000-', 'If-Range': b.headers.etag!});
		expect(got.status).toBe(200);
		expect(got.body.equals(generatedBytes(size, 6))).toBe(true);
	});

	it('ignoreRange, noValidators and contentType', async () => {
		await server.serve('/ir', {kind: 'generated', size: 10_000, seed: 7}, {ignoreRange: true, noValidators: true, contentType: 'application/x-iso9660-image'});
		const got = await get(server.url('/ir'), {Range: 'bytes=100-'});
		expect(got.status).toBe(200);
		expect(got.body.length).toBe(10_000);
		expect(got.headers.etag).toBeUndefined();
		expect(got.headers['last-modified']).toBeUndefined();
		expect(got.headers['content-type']).toBe('application/x-iso9660-image');

		// setFaults replaces them.
		server.setFaults('/ir', {});
		expect((await get(server.url('/ir'), {Range: 'bytes=100-'})).status).toBe(206);
	});

	it('throttleBps: three parallel throttled transfers overlap (peakConcurrent 3) and take the expected time', async () => {
		const size = 40_000;
		const bps = 200_000;
		await server.serve('/t', {kind: 'generated', size, seed: 8}, {throttleBps: bps});
		const started = performance.now();
		const results = await Promise.all([get(server.url('/t')), get(server.url('/t')), get(server.url('/t'))]);
		const elapsed = performance.now() - started;
		for (const r of results) expect(r.body.equals(generatedBytes(size, 8))).toBe(true);
		// 40 kB at 200 kB/s is 200 ms, less the first ~20 ms slice that goes at once.
		expect(elapsed).toBeGreaterThan(150);
		expect(elapsed).toBeLessThan(2000);
		expect(server.peakConcurrent).toBe(3);
		await until(() => server.active === 0, 'responses to close');

		server.resetStats();
		expect(server.peakConcurrent).toBe(0);
		expect(server.requests).toHaveLength(0);
	});

	it('stops generating when the client goes away', async () => {
		const size = 256 * 1024 * 1024;
		await server.serve('/big', {kind: 'generated', size, seed: 9});
		const transfer = startGet(server.url('/big'));
		await until(() => transfer.state.received > 1024 * 1024, 'some bytes');
		transfer.state.request?.destroy();
		await until(() => server.active === 0, 'the response to close');
		const sent = server.requests[0]!.bytesSent;
		expect(sent).toBeLessThan(size / 4);
		// Nothing more is produced after the close.
		await new Promise(resolve => setImmediate(resolve));
		expect(server.requests[0]!.bytesSent).toBe(sent);
	});
});
