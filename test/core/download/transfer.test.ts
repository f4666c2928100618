import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {TransferError} from '../../../source/core/download/errors.js';
import {createHttpClient, type HttpClient} from '../../../source/core/download/http.js';
import {transfer, type TransferOptions, type TransferResult} from '../../../source/core/download/transfer.js';
import {generatedBytes, startTestServer, type Content, type Faults, type TestServer} from '../../support/server.js';
import {MiB, recordingLogger, seededRandom, tempDir, testTransferOptions, type LogRecord, type TransferRecord} from './helpers.js';

let server: TestServer;
let client: HttpClient;
const dirs: string[] = [];

beforeAll(async () => {
	server = await startTestServer();
	client = createHttpClient({userAgent: 'isoman/0.0.0-test'});
});

afterAll(async () => {
	await client.close();
	await server.close();
});

afterEach(async () => {
	for (const dir of dirs.splice(0)) await fs.rm(dir, {recursive: true, force: true});
});

const SIZE = 32 * MiB;

type Run = TransferRecord & {
	partPath: string;
	dir: string;
	logs: LogRecord[];
	result: Promise<TransferResult>;
};

/** Starts a transfer of `urlPath` into a fresh temp dir (optionally with a part already there). */
async function start(urlPath: string, options: Partial<TransferOptions> & {existing?: Buffer; dir?: string} = {}): Promise<Run> {
	const {existing, dir: givenDir, ...overrides} = options;
	const dir = givenDir ?? (await tempDir());
	if (!givenDir) dirs.push(dir);
	const partPath = path.join(dir, 'image.part');
	if (existing) await fs.writeFile(partPath, existing);
	const log = recordingLogger();
	const run: Omit<Run, 'result'> = {partPath, dir, progress: [], meta: [], retries: [], logs: log.records};
	const result = transfer({client, ...testTransferOptions(server.url(urlPath), partPath, log, run), ...overrides});
	// Tests that expect a rejection attach their own handler; avoid an unhandled rejection meanwhile.
	result.catch(() => undefined);
	return {...run, result};
}

async function serveImage(urlPath: string, faults: Faults = {}, size = SIZE, seed = 1): Promise<string> {
	return server.serve(urlPath, {kind: 'generated', size, seed, fileType: 'iso'}, faults);
}

async function sha256File(file: string): Promise<string> {
	return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

async function failure(promise: Promise<unknown>): Promise<TransferError> {
	const error = await promise.then(
		() => {
			throw new Error('expected the transfer to fail');
		},
		(error_: unknown) => error_,
	);
	expect(error).toBeInstanceOf(TransferError);
	return error as TransferError;
}

describe('transfer: the happy path', () => {
	it('downloads 64 MiB into the part with the right sha256, one request, progress and meta', async () => {
		const size = 64 * MiB;
		const sha = await serveImage('/full.iso', {}, size, 7);
		const run = await start('/full.iso');
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(result.bytes).toBe(size);
		expect(result.finalUrl).toBe(server.url('/full.iso'));
		expect(result.etag).toMatch(/^".+"$/);
		expect(result.lastModified).toMatch(/GMT$/);
		expect((await fs.stat(run.partPath)).size).toBe(size);
		expect(await sha256File(run.partPath)).toBe(sha);
		const requests = server.requestsFor('/full.iso');
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({range: undefined, ifRange: undefined, status: 200, userAgent: 'isoman/0.0.0-test'});
		expect(run.meta).toEqual([{total: size, etag: result.etag, lastModified: result.lastModified, finalUrl: result.finalUrl}]);
		expect(run.progress.at(-1)).toBe(size);
		expect(run.progress.every((v, i) => i === 0 || v > run.progress[i - 1]!)).toBe(true);
		// ~1 MiB batches: far fewer progress calls than 64 KiB chunks.
		expect(run.progress.length).toBeLessThanOrEqual(size / MiB + 1);
		expect(run.retries).toEqual([]);
	});

	it('hashes with the requested algorithm', async () => {
		const data = generatedBytes(3 * MiB + 123, 5, 'iso');
		await server.serve('/b2.iso', {kind: 'buffer', data});
		const run = await start('/b2.iso', {algorithm: 'blake2b512'});
		expect((await run.result).hex).toBe(createHash('blake2b512').update(data).digest('hex'));
	});

	it('follows a chain of 3 redirects and reports the last URL', async () => {
		const sha = await serveImage('/chain/final.iso', {}, 4 * MiB, 3);
		await server.serve('/chain/1', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/chain/2'});
		await server.serve('/chain/2', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: server.url('/chain/3')});
		await server.serve('/chain/3', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: 'final.iso'});
		const run = await start('/chain/1');
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(result.finalUrl).toBe(server.url('/chain/final.iso'));
		expect(run.meta[0]?.finalUrl).toBe(server.url('/chain/final.iso'));
	});

	it('fails with too_many_redirects after 10, without touching the final URL', async () => {
		await serveImage('/loop/final.iso', {}, MiB, 3);
		for (let i = 0; i <= 10; i++) {
			await server.serve(`/loop/${i}`, {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: i === 10 ? '/loop/final.iso' : `/loop/${i + 1}`});
		}

		const error = await failure((await start('/loop/0')).result);
		expect(error.code).toBe('too_many_redirects');
		expect(server.requestsFor('/loop/final.iso')).toHaveLength(0);
		expect(server.requestsFor('/loop/0')).toHaveLength(1);
	});

	it('handles a body without Content-Length (chunked)', async () => {
		const sha = await serveImage('/chunked.iso', {noContentLength: true}, SIZE, 11);
		const run = await start('/chunked.iso');
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(result.bytes).toBe(SIZE);
		expect(run.meta[0]?.total).toBeNull();
	});
});

describe('transfer: resume', () => {
	it('survives resets at 5 random offsets, each retry a Range request from exactly where the last one stopped', async () => {
		const random = seededRandom(20_240_601);
		const offsets = Array.from({length: 5}, () => 1 + Math.floor(random() * (SIZE - 2))).sort((a, b) => a - b);
		const sha = await serveImage('/resets.iso', {resetAt: offsets}, SIZE, 2);
		const run = await start('/resets.iso', {retries: 1});
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(await sha256File(run.partPath)).toBe(sha);
		const requests = server.requestsFor('/resets.iso');
		expect(requests).toHaveLength(6);
		expect(requests[0]!.range).toBeUndefined();
		for (let i = 1; i < requests.length; i++) {
			expect(requests[i]!.range).toBe(`bytes=${offsets[i - 1]!}-`);
			expect(requests[i]!.ifRange).toBe(result.etag);
			expect(requests[i]!.status).toBe(206);
		}

		// Every reset came after progress, so a budget of 1 retry was never exhausted.
		expect(run.retries.map(r => r.attempt)).toEqual([1, 1, 1, 1, 1]);
		expect(run.retries.every(r => !r.stalled)).toBe(true);
	});

	it('resumes a pre-existing half part with one Range request', async () => {
		const size = 8 * MiB + 4321;
		const sha = await serveImage('/half.iso', {}, size, 4);
		const half = Math.floor(size / 2);
		const run = await start('/half.iso', {existing: generatedBytes(size, 4, 'iso').subarray(0, half)});
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(result.bytes).toBe(size);
		const requests = server.requestsFor('/half.iso');
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({range: `bytes=${half}-`, status: 206});
		expect(run.progress[0]).toBeGreaterThan(half);
		expect(run.meta[0]?.total).toBe(size);
	});

	it('uses the stored strong ETag for If-Range, and Last-Modified when the ETag is weak', async () => {
		const size = 2 * MiB;
		const sha = await serveImage('/validators.iso', {}, size, 6);
		const head = await client.request(server.url('/validators.iso'), {method: 'HEAD'});
		await head.body.dump();
		const etag = head.headers.etag as string;
		const lastModified = head.headers['last-modified'] as string;
		const bytes = generatedBytes(size, 6, 'iso');

		const strong = await start('/validators.iso', {existing: bytes.subarray(0, MiB), validator: {etag, lastModified}});
		expect((await strong.result).hex).toBe(sha);
		expect(server.requestsFor('/validators.iso').at(-1)).toMatchObject({range: `bytes=${MiB}-`, ifRange: etag, status: 206});

		const weak = await start('/validators.iso', {existing: bytes.subarray(0, MiB), validator: {etag: `W/${etag}`, lastModified}});
		expect((await weak.result).hex).toBe(sha);
		// The stored weak ETag differs from the strong one the 206 carries: the part was started over.
		const [ranged, whole] = server.requestsFor('/validators.iso').slice(-2);
		expect(ranged).toMatchObject({range: `bytes=${MiB}-`, ifRange: lastModified, status: 206});
		expect(whole).toMatchObject({range: undefined, status: 200});
		expect(weak.logs.some(l => l.event === 'download.restart' && String(l.fields.reason).includes('ETag changed'))).toBe(true);
	});

	it('starts over when the server ignores Range (200 to a range request)', async () => {
		const sha = await serveImage('/norange.iso', {ignoreRange: true}, SIZE, 8);
		const junk = Buffer.alloc(5 * MiB, 0x55); // wrong bytes: they must not survive
		const run = await start('/norange.iso', {existing: junk});
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(await sha256File(run.partPath)).toBe(sha);
		const requests = server.requestsFor('/norange.iso');
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({range: `bytes=${5 * MiB}-`, status: 200});
		expect(run.logs.some(l => l.event === 'download.restart')).toBe(true);
	});

	it('keeps the part when a range request is answered with an HTML page (200)', async () => {
		await serveImage('/maintenance.iso', {html: true}, MiB, 26);
		const existing = generatedBytes(MiB, 26, 'iso').subarray(0, 300_000);
		const run = await start('/maintenance.iso', {existing});
		const error = await failure(run.result);
		expect(error.code).toBe('content');
		expect(error.message).toMatch(/HTML page/);
		expect((await fs.readFile(run.partPath)).equals(existing)).toBe(true);
		expect(server.requestsFor('/maintenance.iso')).toMatchObject([{range: 'bytes=300000-', status: 200}]);
	});

	it('never mixes versions when the ETag changes mid-way (reset + changeEtag)', async () => {
		const sha = await serveImage('/etag.iso', {resetAt: [10 * MiB + 17], changeEtag: true}, SIZE, 9);
		const run = await start('/etag.iso');
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(await sha256File(run.partPath)).toBe(sha);
		const requests = server.requestsFor('/etag.iso');
		expect(requests).toHaveLength(2);
		// The resume carried the first ETag; the server no longer matched it and sent the whole (new) file.
		expect(requests[1]).toMatchObject({range: `bytes=${10 * MiB + 17}-`, status: 200});
		expect(requests[1]!.ifRange).toMatch(/-\d+"$/);
		expect(result.etag).not.toBe(requests[1]!.ifRange);
	});

	it('returns the hash of a part that is already complete (416 with the same size)', async () => {
		const size = 3 * MiB;
		const sha = await serveImage('/done.iso', {}, size, 12);
		const run = await start('/done.iso', {existing: generatedBytes(size, 12, 'iso')});
		const result = await run.result;
		expect(result).toMatchObject({hex: sha, bytes: size});
		expect(server.requestsFor('/done.iso')).toMatchObject([{range: `bytes=${size}-`, status: 416}]);
	});

	it('starts over when the part is longer than the file (416 with another size)', async () => {
		const size = 2 * MiB;
		const sha = await serveImage('/shrunk.iso', {}, size, 13);
		const run = await start('/shrunk.iso', {existing: Buffer.alloc(3 * MiB, 1)});
		expect((await run.result).hex).toBe(sha);
		expect(server.requestsFor('/shrunk.iso')).toMatchObject([
			{range: `bytes=${3 * MiB}-`, status: 416},
			{range: undefined, status: 200},
		]);
	});
});

describe('transfer: stalls and retries', () => {
	it('drops a stalled connection and resumes, without spending the retry budget', async () => {
		const sha = await serveImage('/stall.iso', {stallAt: MiB}, SIZE, 10);
		const run = await start('/stall.iso', {stallTimeoutMs: 1000, retries: 0});
		const result = await run.result;
		expect(result.hex).toBe(sha);
		expect(run.retries).toEqual([expect.objectContaining({stalled: true, delayMs: 0})]);
		const requests = server.requestsFor('/stall.iso');
		expect(requests).toHaveLength(2);
		expect(requests[1]).toMatchObject({range: `bytes=${MiB}-`, status: 206});
		expect(requests[1]!.time - requests[0]!.time).toBeGreaterThanOrEqual(1000);
	});

	it('waits as long as Retry-After asks after a 503, then succeeds', async () => {
		const sha = await serveImage('/busy.iso', {statuses: [{status: 503, headers: {'Retry-After': '2'}}]}, 4 * MiB, 14);
		const run = await start('/busy.iso');
		const result = await run.result;
		expect(result.hex).toBe(sha);
		const requests = server.requestsFor('/busy.iso');
		expect(requests.map(r => r.status)).toEqual([503, 200]);
		expect(requests[1]!.time - requests[0]!.time).toBeGreaterThanOrEqual(2000);
		expect(run.retries).toEqual([{attempt: 1, reason: `HTTP 503 Service Unavailable from ${server.url('/busy.iso')}`, delayMs: 2000, stalled: false}]);
	});

	it('gives up after the retry budget, saying how many attempts and the last error', async () => {
		await serveImage('/down.iso', {statuses: [{status: 502}, {status: 503}, {status: 504}, {status: 500}]}, MiB, 15);
		const error = await failure((await start('/down.iso', {retries: 2})).result);
		expect(error.code).toBe('http_status');
		expect(error.status).toBe(504);
		expect(error.message).toBe(
			`gave up on ${server.url('/down.iso')} after 3 failed attempts since the last progress; last error: HTTP 504 Gateway Timeout from ${server.url('/down.iso')}`,
		);
		expect(server.requestsFor('/down.iso')).toHaveLength(3);
	});

	it('fails at once on a 404 with the status in the message', async () => {
		const run = await start('/missing.iso');
		const error = await failure(run.result);
		expect(error.code).toBe('http_status');
		expect(error.status).toBe(404);
		expect(error.message).toBe(`HTTP 404 Not Found from ${server.url('/missing.iso')}`);
		expect(server.requestsFor('/missing.iso')).toHaveLength(1);
		expect(run.retries).toEqual([]);
	});

	it('retries a body shorter than its Content-Length and fails clearly when it never completes', async () => {
		const size = 4 * MiB;
		await serveImage('/short.iso', {shortBy: 1000}, size, 16);
		const run = await start('/short.iso', {retries: 2});
		const error = await failure(run.result);
		expect(error.code).toBe('network');
		expect(error.message).toMatch(/after 3 failed attempts since the last progress; last error: /);
		// What the part holds is a correct prefix.
		const part = await fs.readFile(run.partPath);
		expect(part.length).toBe(size - 1000);
		expect(part.equals(generatedBytes(size, 16, 'iso').subarray(0, size - 1000))).toBe(true);
		const requests = server.requestsFor('/short.iso');
		// The first attempt made progress (it resets the budget); then 2 retries without progress.
		expect(requests.map(r => r.range)).toEqual([undefined, `bytes=${size - 1000}-`, `bytes=${size - 1000}-`]);
	});

	it('completes a short body once the server recovers', async () => {
		const sha = await serveImage('/short2.iso', {shortBy: 12_345}, SIZE, 17);
		const run = await start('/short2.iso', {
			onRetry() {
				server.setFaults('/short2.iso', {});
			},
		});
		expect((await run.result).hex).toBe(sha);
		expect(server.requestsFor('/short2.iso').map(r => r.range)).toEqual([undefined, `bytes=${SIZE - 12_345}-`]);
	});
});

describe('transfer: refusing wrong content', () => {
	it('refuses an HTML page served as an .iso, writing nothing but an empty part', async () => {
		await serveImage('/page.iso', {html: true}, MiB, 18);
		const run = await start('/page.iso');
		const error = await failure(run.result);
		expect(error.code).toBe('content');
		expect(error.message).toMatch(/HTML page/);
		expect(error.message).toContain('text/html');
		expect(await fs.readdir(run.dir)).toEqual(['image.part']);
		expect((await fs.stat(run.partPath)).size).toBe(0);
		expect(server.requestsFor('/page.iso')).toHaveLength(1);
	});

	it('refuses bytes without the ISO 9660 magic, saying what arrived', async () => {
		const data = Buffer.alloc(MiB, 0);
		data.write('MZ not an iso', 0, 'latin1');
		await server.serve('/notiso.iso', {kind: 'buffer', data});
		const run = await start('/notiso.iso');
		const error = await failure(run.result);
		expect(error.code).toBe('content');
		expect(error.message).toMatch(/missing ISO 9660/);
		expect(error.message).toContain('MZ not an iso');
		expect((await fs.stat(run.partPath)).size).toBe(0);
	});

	it('fails with size_mismatch when the server size differs from the expected size', async () => {
		await serveImage('/size.iso', {}, 2 * MiB, 19);
		const error = await failure((await start('/size.iso', {expectedSize: 2 * MiB + 1})).result);
		expect(error.code).toBe('size_mismatch');
		expect(error.message).toContain(String(2 * MiB + 1));
	});

	it('fails with size_mismatch when a body without length runs past the expected size', async () => {
		await serveImage('/long.iso', {noContentLength: true}, 2 * MiB, 20);
		const run = await start('/long.iso', {expectedSize: MiB});
		const error = await failure(run.result);
		expect(error.code).toBe('size_mismatch');
		expect((await fs.stat(run.partPath)).size).toBeLessThanOrEqual(MiB);
	});
});

describe('transfer: abort', () => {
	it('stops promptly on abort, rejects with the signal reason and keeps the part', async () => {
		await serveImage('/slow.iso', {throttleBps: 16 * MiB}, SIZE, 21);
		const controller = new AbortController();
		const reason = new Error('paused by the user');
		let abortedAt = 0;
		const run = await start('/slow.iso', {
			signal: controller.signal,
			onProgress(p) {
				if (p.downloaded >= 2 * MiB && !controller.signal.aborted) {
					abortedAt = performance.now();
					controller.abort(reason);
				}
			},
		});
		await expect(run.result).rejects.toBe(reason);
		expect(performance.now() - abortedAt).toBeLessThan(1000);
		const size = (await fs.stat(run.partPath)).size;
		expect(size).toBeGreaterThanOrEqual(2 * MiB);
		expect(size).toBeLessThan(SIZE);
		// The part holds exactly the right bytes so far.
		expect((await fs.readFile(run.partPath)).equals(generatedBytes(size, 21, 'iso'))).toBe(true);
		expect(server.requestsFor('/slow.iso')).toHaveLength(1);
	});

	it('rejects with the reason of an already aborted signal without a request', async () => {
		await serveImage('/never.iso', {}, MiB, 22);
		const reason = new Error('cancelled');
		const run = await start('/never.iso', {signal: AbortSignal.abort(reason)});
		await expect(run.result).rejects.toBe(reason);
		expect(server.requestsFor('/never.iso')).toHaveLength(0);
	});

	it('honours the signal during a backoff wait', async () => {
		await serveImage('/wait.iso', {statuses: [{status: 503, headers: {'Retry-After': '600'}}]}, MiB, 23);
		const controller = new AbortController();
		const reason = new Error('paused');
		const run = await start('/wait.iso', {
			signal: controller.signal,
			onRetry: () => controller.abort(reason),
		});
		await expect(run.result).rejects.toBe(reason);
	});
});

describe('transfer: free space', () => {
	let small: string | undefined;

	beforeAll(async () => {
		const dir = await tempDir();
		try {
			execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], {stdio: 'ignore'});
			small = dir;
		} catch {
			await fs.rm(dir, {recursive: true, force: true});
		}
	});

	afterAll(async () => {
		if (!small) return;
		execFileSync('umount', [small]);
		await fs.rm(small, {recursive: true, force: true});
	});

	it('fails before writing when the known size does not fit, naming both numbers', async ({skip}) => {
		if (!small) skip('needs a small tmpfs (mount as root)');
		await serveImage('/big.iso', {}, 8 * MiB, 24);
		const run = await start('/big.iso', {dir: small});
		const error = await failure(run.result);
		expect(error.code).toBe('disk_full');
		expect(error.message).toMatch(/^not enough free space: needs 8\.00 MiB \(8388608 bytes\), only .* \(\d+ bytes\) free on /);
		expect(error.message).toContain(small!);
		expect((await fs.stat(run.partPath)).size).toBe(0);
		await fs.rm(run.partPath);
	});

	it('fails with disk_full when the disk fills while writing, keeping what was written', async ({skip}) => {
		if (!small) skip('needs a small tmpfs (mount as root)');
		await serveImage('/bigger.iso', {noContentLength: true}, 8 * MiB, 25);
		const run = await start('/bigger.iso', {dir: small});
		const error = await failure(run.result);
		expect(error.code).toBe('disk_full');
		expect(error.message).toMatch(/^disk full while writing .*image\.part: .* free$/);
		const size = (await fs.stat(run.partPath)).size;
		expect(size).toBeGreaterThan(0);
		expect((await fs.readFile(run.partPath)).equals(generatedBytes(size, 25, 'iso'))).toBe(true);
		await fs.rm(run.partPath);
	});
});

// Content is a type used above only through serve(); keep the import honest.
export type {Content};
