import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TransferError} from '../../../source/core/download/errors.js';
import {createHttpClient, type HttpClient} from '../../../source/core/download/http.js';
import {startTestServer, type TestServer} from '../../support/server.js';

let server: TestServer;
let client: HttpClient;

beforeAll(async () => {
	server = await startTestServer();
	client = createHttpClient({userAgent: 'isoman/0.0.0-test'});
	await server.serve('/hello.txt', {kind: 'buffer', data: Buffer.from('hello\n')});
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
