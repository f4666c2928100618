/**
 * The transfer thread (the TUI's): `TransferWorker.transfer` against a real local server keeps `transfer()`'s
 * contract across the thread boundary — result, progress, meta, retries, logs, errors with their code and status,
 * aborts with the caller's reason, bandwidth limits mirrored and changed while running — and runs at a lower
 * priority than the thread that calls it. (The manager's own tests run both ways: TRANSFER_MODES.)
 */
import fs from 'node:fs/promises';
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {TransferError} from '../../../source/core/download/errors.js';
import {TokenBucket} from '../../../source/core/download/rate-limit.js';
import type {TransferOptions} from '../../../source/core/download/transfer.js';
import {DOWNLOAD_NICE} from '../../../source/core/download/thread-priority.js';
import {TransferWorker} from '../../../source/core/download/transfer-worker.js';
import {startTestServer, type Faults, type TestServer} from '../../support/server.js';
import {waitFor} from '../../support/library.js';
import {MiB, recordingLogger, tempDir, testTransferOptions, type LogRecord, type TransferRecord} from './helpers.js';

let server: TestServer;
let worker: TransferWorker;
const dirs: string[] = [];

beforeAll(async () => {
	server = await startTestServer();
	worker = new TransferWorker({userAgent: 'isoman/0.0.0-test'});
});

afterAll(async () => {
	await worker.close();
	await server.close();
});

afterEach(async () => {
	for (const dir of dirs.splice(0)) await fs.rm(dir, {recursive: true, force: true});
});

type Run = TransferRecord & {partPath: string; logs: LogRecord[]; result: ReturnType<TransferWorker['transfer']>};

async function start(urlPath: string, overrides: Partial<TransferOptions> = {}, buckets: TokenBucket[] = []): Promise<Run> {
	const dir = await tempDir();
	dirs.push(dir);
	const partPath = path.join(dir, 'image.part');
	const log = recordingLogger();
	const run: Omit<Run, 'result'> = {partPath, progress: [], meta: [], retries: [], logs: log.records};
	// The thread has its own client: the one in the options is never used.
	const result = worker.transfer({client: undefined as never, ...testTransferOptions(server.url(urlPath), partPath, log, run), ...overrides}, buckets);
	result.catch(() => undefined);
	return {...run, result};
}

async function serve(urlPath: string, size: number, seed: number, faults: Faults = {}): Promise<string> {
	return server.serve(urlPath, {kind: 'generated', size, seed, fileType: 'iso'}, faults);
}

/** The nice value of each thread of this process but the main one (Linux). */
function otherThreadsNice(): number[] {
	return readdirSync('/proc/self/task')
		.filter(tid => Number(tid) !== process.pid)
		.map(tid => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
}

describe('transfer thread', () => {
	it('downloads with the right sha256 and size; progress rises to the size; meta and logs come back with their fields', async () => {
		const sha = await serve('/t/full.iso', 24 * MiB, 3);
		const run = await start('/t/full.iso');
		const result = await run.result;
		expect(result).toMatchObject({hex: sha, bytes: 24 * MiB, finalUrl: server.url('/t/full.iso')});
		expect((await fs.stat(run.partPath)).size).toBe(24 * MiB);
		expect(result.file.ino).toBe((await fs.stat(run.partPath)).ino);
		expect(run.progress.at(-1)).toBe(24 * MiB);
		expect(run.progress).toEqual([...run.progress].sort((a, b) => a - b));
		expect(run.meta).toEqual([expect.objectContaining({total: 24 * MiB, finalUrl: server.url('/t/full.iso')})]);
		expect(run.logs).toContainEqual(expect.objectContaining({level: 'debug', event: 'download.request', fields: expect.objectContaining({url: server.url('/t/full.iso'), offset: 0})}));
	});

	it('resumes a part already there with a Range request', async () => {
		const sha = await serve('/t/resume.iso', 8 * MiB, 4);
		const first = await start('/t/resume.iso', {}, []);
		await first.result;
		await fs.truncate(first.partPath, 3 * MiB);
		const again = await worker.transfer(
			{client: undefined as never, ...testTransferOptions(server.url('/t/resume.iso'), first.partPath, recordingLogger(), {progress: [], meta: [], retries: []}), retries: 1},
			[],
		);
		expect(again.hex).toBe(sha);
		expect(server.requestsFor('/t/resume.iso').at(-1)!.range).toBe(`bytes=${3 * MiB}-`);
	});

	it('a 404 is a TransferError with its code, status and message', async () => {
		const run = await start('/t/missing.iso');
		const error = await run.result.catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TransferError);
		expect(error).toMatchObject({code: 'http_status', status: 404, message: expect.stringContaining('HTTP 404')});
	});

	it('an HTML page is refused with a content error', async () => {
		await serve('/t/page.iso', MiB, 5, {html: true});
		const error = await (await start('/t/page.iso')).result.catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TransferError);
		expect(error).toMatchObject({code: 'content'});
	});

	it('a reset is retried from where the bytes ended and reported through onRetry', async () => {
		const sha = await serve('/t/reset.iso', 8 * MiB, 6, {resetAt: [2 * MiB + 7]});
		const run = await start('/t/reset.iso');
		expect((await run.result).hex).toBe(sha);
		expect(run.retries).toHaveLength(1);
		expect(server.requestsFor('/t/reset.iso').map(r => r.range)).toEqual([undefined, `bytes=${2 * MiB + 7}-`]);
	});

	it('an abort rejects with the caller\'s reason once the thread has let go of the part, which stops growing', async () => {
		await serve('/t/slow.iso', 32 * MiB, 7, {throttleBps: 8 * MiB});
		const controller = new AbortController();
		const reason = new Error('paused by the user');
		const run = await start('/t/slow.iso', {
			signal: controller.signal,
			onProgress(p) {
				if (p.downloaded >= MiB) controller.abort(reason);
			},
		});
		await expect(run.result).rejects.toBe(reason);
		const size = (await fs.stat(run.partPath)).size;
		expect(size).toBeGreaterThanOrEqual(MiB);
		expect(size).toBeLessThan(32 * MiB);
		if (process.platform !== 'linux') return;
		// The thread has closed it: no descriptor of this process points at the part any more.
		const open = readdirSync('/proc/self/fd').map(fd => {
			try {
				return readlinkSync(`/proc/self/fd/${fd}`);
			} catch {
				return '';
			}
		});
		expect(open).not.toContain(run.partPath);
	});

	it('an already aborted signal rejects with its reason without a request', async () => {
		await serve('/t/never.iso', MiB, 8);
		const reason = new Error('cancelled');
		await expect((await start('/t/never.iso', {signal: AbortSignal.abort(reason)})).result).rejects.toBe(reason);
		expect(server.requestsFor('/t/never.iso')).toHaveLength(0);
	});

	it('takes from the buckets it is given and follows a rate change while running, in one request', async () => {
		await serve('/t/limited.iso', 12 * MiB, 9);
		const bucket = new TokenBucket(MiB);
		const stamps: Array<{t: number; bytes: number}> = [];
		const run = await start('/t/limited.iso', {onProgress: p => stamps.push({t: performance.now(), bytes: p.downloaded})}, [bucket]);
		await waitFor(() => (stamps.at(-1)?.bytes ?? 0) >= 2 * MiB, {what: '2 MiB at 1 MiB/s', timeoutMs: 10_000});
		const slow = stamps.filter(s => s.bytes >= MiB / 2);
		const elapsed = (slow.at(-1)!.t - slow[0]!.t) / 1000;
		// 1.5 MiB or more at 1 MiB/s takes well over a second (never faster than the limit allows).
		expect((slow.at(-1)!.bytes - slow[0]!.bytes) / elapsed).toBeLessThan(1.5 * MiB);
		const lifted = performance.now();
		bucket.setRate(0);
		await run.result;
		// The remaining ~10 MiB came at once, not in 10 s at 1 MiB/s.
		expect((performance.now() - lifted) / 1000).toBeLessThan(5);
		expect(server.requestsFor('/t/limited.iso')).toHaveLength(1);
	});

	it.runIf(process.platform === 'linux')('runs, with every other thread of the process, at a lower priority than the thread that started it', async () => {
		await serve('/t/nice.iso', 16 * MiB, 10, {throttleBps: 4 * MiB});
		const controller = new AbortController();
		const run = await start('/t/nice.iso', {signal: controller.signal});
		await waitFor(() => run.progress.length > 0, {what: 'first progress'});
		// The transfer thread, the hashing thread, libuv's pool and V8's helpers: all below the main thread.
		expect(new Set(otherThreadsNice())).toEqual(new Set([DOWNLOAD_NICE]));
		expect(DOWNLOAD_NICE).toBeGreaterThan(0);
		expect(Number(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])).toBe(0);
		controller.abort(new Error('done'));
		await run.result.catch(() => undefined);
	});
});
