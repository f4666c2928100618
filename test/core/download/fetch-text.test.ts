import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TransferError} from '../../../source/core/download/errors.js';
import {fetchText} from '../../../source/core/download/fetch-text.js';
import {createHttpClient, type HttpClient} from '../../../source/core/download/http.js';
import {startTestServer, type TestServer} from '../../support/server.js';
import {MiB, recordingLogger} from './helpers.js';

let server: TestServer;
let client: HttpClient;
const base = {retries: 3, backoff: {baseMs: 1, maxMs: 10}, log: recordingLogger()};

beforeAll(async () => {
	server = await startTestServer();
	client = createHttpClient({userAgent: 'isoman/0.0.0-test'});
});

afterAll(async () => {
	await client.close();
	await server.close();
});

async function failure(promise: Promise<unknown>): Promise<TransferError> {
	const error = await promise.then(
		() => {
			throw new Error('expected fetchText to fail');
		},
		(error_: unknown) => error_,
	);
	expect(error).toBeInstanceOf(TransferError);
	return error as TransferError;
}

const SUMS = '\uFEFFabc123  image.iso\r\n# image.iso: 42 bytes\r\n';

describe('fetchText', () => {
	it('returns the text (BOM dropped) and the final URL after redirects', async () => {
		await server.serve('/sums/SHA256SUMS', {kind: 'buffer', data: Buffer.from(SUMS)}, {contentType: 'text/plain; charset=utf-8'});
		await server.serve('/latest/SHA256SUMS', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/sums/SHA256SUMS'});
		const {text, finalUrl} = await fetchText(client, server.url('/latest/SHA256SUMS'), base);
		expect(text).toBe(SUMS.slice(1));
		expect(finalUrl).toBe(server.url('/sums/SHA256SUMS'));
	});

	it('fails at once on a 404 with the status in the message', async () => {
		const error = await failure(fetchText(client, server.url('/nothing/SHA256SUMS'), base));
		expect(error.code).toBe('http_status');
		expect(error.status).toBe(404);
		expect(error.message).toBe(`HTTP 404 Not Found from ${server.url('/nothing/SHA256SUMS')}`);
		expect(server.requestsFor('/nothing/SHA256SUMS')).toHaveLength(1);
	});

	it('retries 503s and resets, then succeeds', async () => {
		await server.serve('/flaky/SUMS', {kind: 'buffer', data: Buffer.from(SUMS)}, {statuses: [{status: 503}, {status: 429, headers: {'Retry-After': '0'}}], resetAt: [10]});
		const {text} = await fetchText(client, server.url('/flaky/SUMS'), base);
		expect(text).toBe(SUMS.slice(1));
		expect(server.requestsFor('/flaky/SUMS').map(r => r.status)).toEqual([503, 429, 200, 200]);
	});

	it('gives up after the retry budget with the last error', async () => {
		await server.serve('/dead/SUMS', {kind: 'buffer', data: Buffer.from(SUMS)}, {statuses: [{status: 500}, {status: 500}, {status: 502}]});
		const error = await failure(fetchText(client, server.url('/dead/SUMS'), {...base, retries: 2}));
		expect(error.code).toBe('http_status');
		expect(error.message).toMatch(/after 3 attempts; last error: HTTP 502 Bad Gateway/);
	});

	it('refuses a body larger than maxBytes, declared or not', async () => {
		const big = Buffer.alloc(2 * MiB, 0x61);
		await server.serve('/big/SUMS', {kind: 'buffer', data: big});
		const declared = await failure(fetchText(client, server.url('/big/SUMS'), base));
		expect(declared.code).toBe('content');
		expect(declared.message).toMatch(/too large for a checksum file: the server says 2\.00 MiB \(2097152 bytes\), the limit is 1\.00 MiB/);

		await server.serve('/big/chunked', {kind: 'buffer', data: big}, {noContentLength: true});
		const streamed = await failure(fetchText(client, server.url('/big/chunked'), {...base, maxBytes: 1000}));
		expect(streamed.code).toBe('content');
		expect(streamed.message).toMatch(/more than 1000 bytes arrived, the limit is 1000 bytes/);
		expect(server.requestsFor('/big/chunked')).toHaveLength(1);
	});

	it('rejects with the signal reason when aborted', async () => {
		const reason = new Error('cancelled');
		await expect(fetchText(client, server.url('/sums/SHA256SUMS'), {...base, signal: AbortSignal.abort(reason)})).rejects.toBe(reason);
	});
});
