import {createHash} from 'node:crypto';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TransferError} from '../../../source/core/download/errors.js';
import {createHttpClient, type HttpClient} from '../../../source/core/download/http.js';
import {allowLargeReads, MIN_READ_BYTES} from '../../../source/core/download/large-reads.js';
import {startTestServer, type TestServer} from '../../support/server.js';

let server: TestServer;
let client: HttpClient;
let bigSha = '';
const BIG = 8 * 1024 * 1024;

beforeAll(async () => {
	server = await startTestServer();
	client = createHttpClient({userAgent: 'isoman/0.0.0-test'});
	await server.serve('/hello.txt', {kind: 'buffer', data: Buffer.from('hello\n')});
	bigSha = await server.serve('/big.bin', {kind: 'generated', size: BIG, seed: 7});
	// /hop0 → /hop1 → … → /hop11 → /hello.txt: from /hopK there are 12-K redirects.
	for (let i = 0; i <= 11; i++) {
		await server.serve(`/hop${i}`, {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: i === 11 ? '/hello.txt' : `/hop${i + 1}`});
	}
});

afterAll(async () => {
	await client.close();
	await server.close();
});

describe('createHttpClient', () => {
	it('sends the User-Agent and reports the URL it answered from', async () => {
		const res = await client.request(server.url('/hello.txt'));
		expect(res.statusCode).toBe(200);
		expect(await res.body.text()).toBe('hello\n');
		expect(res.url).toBe(server.url('/hello.txt'));
		expect(res.redirects).toBe(0);
		expect(server.requestsFor('/hello.txt').at(-1)?.userAgent).toBe('isoman/0.0.0-test');
	});

	it('follows up to 10 redirects, keeping the request headers, and reports the final URL', async () => {
		const res = await client.request(server.url('/hop2'), {headers: {range: 'bytes=1-'}});
		expect(res.statusCode).toBe(206);
		expect(await res.body.text()).toBe('ello\n');
		expect(res.url).toBe(server.url('/hello.txt'));
		expect(res.redirects).toBe(10);
		expect(server.requestsFor('/hop11').at(-1)?.userAgent).toBe('isoman/0.0.0-test');
	});

	it('refuses an 11th redirect with too_many_redirects', async () => {
		const before = server.requestsFor('/hello.txt').length;
		const error = await client.request(server.url('/hop1')).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TransferError);
		expect((error as TransferError).code).toBe('too_many_redirects');
		expect((error as TransferError).message).toMatch(/too many redirects \(more than 10\)/);
		expect(server.requestsFor('/hop11').length).toBeGreaterThan(0);
		expect(server.requestsFor('/hello.txt')).toHaveLength(before);
	});

	it('honours a lower maxRedirects', async () => {
		const strict = createHttpClient({userAgent: 'isoman/test', maxRedirects: 2});
		try {
			const ok = await strict.request(server.url('/hop10'));
			expect(ok.statusCode).toBe(200);
			await ok.body.dump();
			await expect(strict.request(server.url('/hop9'))).rejects.toMatchObject({code: 'too_many_redirects'});
		} finally {
			await strict.close();
		}
	});

	it('rejects with the signal reason when aborted', async () => {
		const reason = new Error('stop');
		await expect(client.request(server.url('/hello.txt'), {signal: AbortSignal.abort(reason)})).rejects.toBe(reason);
	});
});

describe('HttpClient.stream (the download path: chunks straight from the parser)', () => {
	it('delivers the whole body in order, after following redirects like request()', async () => {
		await server.serve('/to-big', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/big.bin'});
		const res = await client.stream(server.url('/to-big'));
		expect(res.statusCode).toBe(200);
		expect(res.url).toBe(server.url('/big.bin'));
		expect(res.redirects).toBe(1);
		const hash = createHash('sha256');
		let bytes = 0;
		await res.body.consume(chunk => {
			hash.update(chunk);
			bytes += chunk.length;
		});
		expect(bytes).toBe(BIG);
		expect(hash.digest('hex')).toBe(bigSha);
		expect(server.requestsFor('/big.bin').at(-1)?.userAgent).toBe('isoman/0.0.0-test');
	});

	it('reads plain HTTP in reads larger than 64 KiB, and every chunk kept stays intact after later reads', async () => {
		const res = await client.stream(server.url('/big.bin'));
		const kept: Buffer[] = [];
		let bytes = 0;
		await res.body.consume(chunk => {
			kept.push(chunk);
			bytes += chunk.length;
			// Now and then a slow moment, so that the socket has more than 64 KiB waiting for the next read.
			if (bytes % (2 * 1024 * 1024) < chunk.length) return new Promise<void>(resolve => setTimeout(resolve, 20));
			return undefined;
		});
		expect(bytes).toBe(BIG);
		expect(Math.max(...kept.map(c => c.length))).toBeGreaterThan(64 * 1024);
		// The chunks are views of read buffers: hashing them only now proves no later read wrote into one.
		expect(createHash('sha256').update(Buffer.concat(kept)).digest('hex')).toBe(bigSha);
	});

	it('keeps reads at 64 KiB while several transfers run (allowLargeReads(false)), with the same bytes', async () => {
		allowLargeReads(false);
		// A connection of its own: a kept-alive socket of the shared client may already hold the buffer for its
		// next read, sized while large reads were allowed (one read of up to 1 MiB, by design).
		const fresh = createHttpClient({userAgent: 'isoman/0.0.0-test'});
		try {
			const res = await fresh.stream(server.url('/big.bin'));
			const hash = createHash('sha256');
			let largest = 0;
			let bytes = 0;
			await res.body.consume(chunk => {
				hash.update(chunk);
				largest = Math.max(largest, chunk.length);
				bytes += chunk.length;
				if (bytes % (2 * 1024 * 1024) < chunk.length) return new Promise<void>(resolve => setTimeout(resolve, 20));
				return undefined;
			});
			expect(largest).toBeLessThanOrEqual(MIN_READ_BYTES);
			expect(hash.digest('hex')).toBe(bigSha);
		} finally {
			allowLargeReads(true);
			await fresh.close();
		}
	});

	it('refuses an 11th redirect with too_many_redirects, as request() does', async () => {
		await expect(client.stream(server.url('/hop1'))).rejects.toMatchObject({code: 'too_many_redirects'});
		const ok = await client.stream(server.url('/hop2'), {headers: {range: 'bytes=1-'}});
		expect(ok.statusCode).toBe(206);
		const chunks: Buffer[] = [];
		await ok.body.consume(chunk => {
			chunks.push(Buffer.from(chunk));
		});
		expect(Buffer.concat(chunks).toString()).toBe('ello\n');
	});

	it('delivers nothing while the sink waits, then goes on', async () => {
		const res = await client.stream(server.url('/big.bin'));
		let waiting = false;
		let deliveredWhileWaiting = 0;
		let waits = 0;
		let bytes = 0;
		await res.body.consume(chunk => {
			if (waiting) deliveredWhileWaiting++;
			bytes += chunk.length;
			if (bytes % (1024 * 1024) > chunk.length) return;
			// About once per MiB: wait for a timer, as a batch waits for its write.
			waiting = true;
			waits++;
			return new Promise<void>(resolve => {
				setTimeout(() => {
					waiting = false;
					resolve();
				}, 5);
			});
		});
		expect(deliveredWhileWaiting).toBe(0);
		expect(waits).toBeGreaterThan(0);
		expect(bytes).toBe(BIG);
	});

	it('stops when the sink says false, closing the connection, and resolves', async () => {
		const res = await client.stream(server.url('/big.bin'));
		let calls = 0;
		await res.body.consume(() => {
			calls++;
			return calls < 3;
		});
		expect(calls).toBe(3);
		const record = server.requestsFor('/big.bin').at(-1)!;
		const deadline = Date.now() + 5000;
		while (server.active > 0 && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve));
		expect(server.active).toBe(0);
		expect(record.bytesSent).toBeLessThan(BIG);
	});

	it('delivers every byte that arrived before a reset, then rejects with the network error', async () => {
		await server.serve('/reset.bin', {kind: 'generated', size: BIG, seed: 8}, {resetAt: [3_000_001]});
		const res = await client.stream(server.url('/reset.bin'));
		let bytes = 0;
		let waited = false;
		const error = await res.body
			.consume(async chunk => {
				bytes += chunk.length;
				// The sink waits near the end (as for a write): the rest and the reset arrive meanwhile.
				if (bytes > 2_900_000 && !waited) {
					waited = true;
					await new Promise(resolve => setTimeout(resolve, 200));
				}
			})
			.catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(Error);
		expect(bytes).toBe(3_000_001);
	});

	it('rejects with the sink\'s error (thrown or rejected) and with the signal\'s reason on abort', async () => {
		const thrown = new Error('sink failed');
		const first = await client.stream(server.url('/big.bin'));
		await expect(
			first.body.consume(() => {
				throw thrown;
			}),
		).rejects.toBe(thrown);

		const second = await client.stream(server.url('/big.bin'));
		await expect(second.body.consume(async () => Promise.reject(thrown))).rejects.toBe(thrown);

		const controller = new AbortController();
		const reason = new Error('stop');
		const third = await client.stream(server.url('/big.bin'), {signal: controller.signal});
		let bytes = 0;
		await expect(
			third.body.consume(chunk => {
				bytes += chunk.length;
				if (bytes > 1024 * 1024) controller.abort(reason);
			}),
		).rejects.toBe(reason);
		await expect(client.stream(server.url('/hello.txt'), {signal: AbortSignal.abort(reason)})).rejects.toBe(reason);
	});
});
