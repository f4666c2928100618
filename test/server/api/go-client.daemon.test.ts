/**
 * The API on the real daemon (`isoman --daemon --listen 127.0.0.1:0`, the built CLI, default `--auth changes`),
 * driven by a client that sends what ISOMan's Go client sends (go-client.ts) and decodes every answer with its
 * types: every pkg/client call; every error code the daemon can give, as the client's APIError; auth on every
 * mutating route (no token, a wrong one: 401 and nothing changed; the right one: the route's own answer); the
 * failure limit per address; /api/events carrying exactly the daemon's stdout events; a 100 KiB and a truncated
 * body on the daemon's own server. (INTERNAL_ERROR needs a broken library: routes.test.ts makes one in-process.)
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {isEvent, killChildren, type DaemonLine} from '../../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';
import {startTestServer, type TestServer} from '../../support/server.js';
import {serve, type Serving} from '../helpers.js';
import {APIError, GoClient} from './go-client.js';
import {decodeGo, ISO} from './go-types.js';
import {sseReader} from './sse.js';

const MiB = 1024 * 1024;
/** ISOMan's twenty fields of the image object, as the API lists them (before isoman's own). */
const ISOMAN_FIELDS = [
	'id', 'name', 'version', 'arch', 'edition', 'file_type', 'filename', 'file_path', 'download_link', 'size_bytes', 'checksum',
	'checksum_type', 'download_url', 'checksum_url', 'status', 'progress', 'error_message', 'created_at', 'completed_at', 'download_count',
] as const;
const KiB = 1024;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let token: string;
let client: GoClient;
const ids: Record<string, string> = {};
const sha: Record<string, string> = {};

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	sha.done = await origin.serve('/pub/done-1.0-x86_64.iso', {kind: 'generated', size: 1 * MiB + 3, seed: 51, fileType: 'iso'});
	await origin.serve('/pub/slow-2.0-x86_64.iso', {kind: 'generated', size: 16 * MiB, seed: 52, fileType: 'iso'}, {throttleBps: 256 * KiB});
	await origin.serve('/pub/broken-3.0-x86_64.iso', {kind: 'generated', size: 256 * KiB, seed: 53, fileType: 'iso'}, {statuses: [{status: 403}]});
	serving = await serve(lib.dir);
	token = fs.readFileSync(path.join(lib.dir, 'api-token'), 'utf8').trim();
	client = new GoClient(serving.url, {token});
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

/** An SSE reader on /api/events: each event's data line parsed, one by one. */
function followEvents(): {events: DaemonLine[]; close(): void; opened: Promise<void>} {
	const events: DaemonLine[] = [];
	let req: http.ClientRequest;
	const opened = new Promise<void>((resolve, reject) => {
		req = http.get(`${serving.url}/api/events`, {headers: {accept: 'text/event-stream'}}, res => {
			expect(res.statusCode).toBe(200);
			expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
			res.setEncoding('utf8');
			res.on('data', sseReader<DaemonLine>(event => events.push(event)));
			res.on('error', () => {});
			resolve();
		});
		req.on('error', reject);
	});
	return {events, opened, close: () => req.destroy()};
}

const stateEvents = (lines: DaemonLine[], id: string) =>
	lines
		.filter(l => l.id === id && l.event !== 'progress')
		.map(l => {
			const {receivedAt: _, ...rest} = l as DaemonLine & {receivedAt?: number};
			return rest;
		});

async function expectApiError(call: Promise<unknown>, statusCode: number, code: string): Promise<APIError> {
	const error = await call.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error, `expected ${code}`).toBeInstanceOf(APIError);
	expect({statusCode: (error as APIError).statusCode, code: (error as APIError).code}).toEqual({statusCode, code});
	return error as APIError;
}

/** What a refused change must leave alone: the row's state and identity (bytes of a running download move on). */
async function rowState(id: string): Promise<string> {
	const iso = await client.getISO(id).catch(() => undefined);
	return JSON.stringify(iso && [iso.status, iso.name, iso.version, iso.edition, iso.file_path, iso.download_url]);
}

describe('a Go-client-shaped client against the real daemon', () => {
	it('/api/events carries exactly the daemon\'s own stdout events, one data line each, while a real download runs', async () => {
		const sse = followEvents();
		await sse.opened;
		const created = await client.createISO({name: 'done', version: '1.0', arch: 'x86_64', download_url: origin.url('/pub/done-1.0-x86_64.iso')});
		ids.done = created.id as string;
		await serving.daemon.next(isEvent('complete', ids.done), {timeoutMs: 45_000});
		await waitFor(() => sse.events.some(e => e.id === ids.done && e.event === 'complete'), {what: 'the complete event over SSE'});
		const printed = stateEvents(serving.daemon.lines, ids.done);
		expect(printed.map(e => e.event)).toEqual(expect.arrayContaining(['added', 'downloading', 'verifying', 'complete']));
		expect(stateEvents(sse.events, ids.done)).toEqual(printed);
		sse.close();
	});

	it('every pkg/client call, sent as client.go sends it, decodes with ISOMan\'s types', async () => {
		await client.health();
		const list = await client.listISOs();
		expect(list.pagination).toEqual({page: 1, page_size: 10, total: 1, total_pages: 1});
		const sorted = await client.listISOs({page: 1, pageSize: 2, sortBy: 'name', sortDir: 'asc'});
		expect(sorted.isos.map((i: {id: string}) => i.id)).toEqual([ids.done]);
		const done = await client.getISO(ids.done!.slice(0, 5));
		expect(done).toMatchObject({id: ids.done, status: 'complete', progress: 100, size_bytes: MiB + 3, edition: '', checksum_url: '', error_message: '', download_count: 0});
		// ISOMan's fields first; isoman's own after them, with types of their own that stay put.
		const keys = Object.keys(done);
		expect(keys.slice(0, 20)).toEqual([...ISOMAN_FIELDS]);
		expect(keys.slice(20, 24)).toEqual(['downloaded_bytes', 'expected_checksum', 'error_code', 'bytes_served']);
		decodeGo(done, {struct: {downloaded_bytes: 'int64', expected_checksum: {ptr: 'string'}, error_code: {ptr: 'string'}, bytes_served: 'int64', verified_at: {ptr: 'time.Time'}}});
		// No checksum source: the digest computed while downloading, checked against nothing.
		expect([done.checksum, done.checksum_type, done.expected_checksum]).toEqual([sha.done, 'sha256', null]);
		// DownloadFile sends Accept: application/json too: still the file's bytes.
		const bytes = await client.downloadFile(done.file_path);
		expect(bytes.length).toBe(MiB + 3);
		const updated = await client.updateISO(ids.done!, {edition: 'live'});
		expect(updated).toMatchObject({edition: 'live', file_path: 'done/1.0/x86_64/done-1.0-live-x86_64.iso', download_link: '/images/done/1.0/x86_64/done-1.0-live-x86_64.iso'});
		expect((await client.downloadFile(updated.file_path)).equals(bytes)).toBe(true);
		await waitFor(async () => (await client.getStats()).total_downloads === 2, {what: 'the two downloads to be counted', intervalMs: 100});
		const stats = await client.getStats();
		expect(stats).toMatchObject({total_isos: 1, completed_isos: 1, total_size_bytes: MiB + 3, bandwidth_saved: MiB + 3, isos_by_edition: {live: 1}});
		const daily = await client.getDownloadTrends();
		expect(daily.period).toBe('daily');
		expect(daily.data).toHaveLength(30);
		expect(daily.data.at(-1)).toEqual({date: new Date().toISOString().slice(0, 10), count: 2});
		const weekly = await client.getDownloadTrends({period: 'weekly', days: 14});
		expect(weekly.period).toBe('weekly');
		// The requests went out as the Go client sends them.
		const paths = client.sent.map(s => `${s.method} ${s.path}`);
		expect(paths).toContain('GET /api/isos?page=1&page_size=2&sort_by=name&sort_dir=asc');
		expect(paths).toContain('GET /api/stats/trends?days=14&period=weekly');
		expect(client.sent.every(s => s.headers['accept'] === 'application/json')).toBe(true);
		expect(client.sent.filter(s => s.body === undefined).every(s => s.headers['content-type'] === undefined)).toBe(true);
	});

	it('auth on every mutating route: no token and a wrong one get 401 and change nothing; the right one gets the route\'s own answer', async () => {
		const created = await client.createISO({name: 'slow', version: '2.0', arch: 'x86_64', download_url: origin.url('/pub/slow-2.0-x86_64.iso')});
		ids.slow = created.id as string;
		await serving.daemon.next(isEvent('downloading', ids.slow));
		const broken = await client.createISO({name: 'broken', version: '3.0', arch: 'x86_64', download_url: origin.url('/pub/broken-3.0-x86_64.iso')});
		ids.broken = broken.id as string;
		await serving.daemon.next(isEvent('failed', ids.broken));
		type Step = {what: string; id?: string; call: (c: GoClient) => Promise<any>; after: (result: any) => void | Promise<void>};
		const steps: Step[] = [
			{
				what: 'POST /api/isos',
				call: c => c.createISO({name: 'another', version: '9.0', arch: 'x86_64', download_url: origin.url('/pub/broken-3.0-x86_64.iso')}),
				after: r => {
					expect(r.status).toBe('pending');
					ids.another = r.id;
				},
			},
			{what: 'pause', id: ids.slow, call: c => c.doJSON('POST', `/api/isos/${ids.slow}/pause`, undefined, ISO), after: r => expect(r.status).toBe('paused')},
			{what: 'resume', id: ids.slow, call: c => c.doJSON('POST', `/api/isos/${ids.slow}/resume`, undefined, ISO), after: r => expect(['pending', 'downloading']).toContain(r.status)},
			{what: 'cancel', id: ids.slow, call: c => c.doJSON('POST', `/api/isos/${ids.slow}/cancel`, undefined, ISO), after: r => expect([r.status, r.error_code]).toEqual(['failed', 'cancelled'])},
			{what: 'retry', id: ids.broken, call: c => c.retryISO(ids.broken!), after: r => expect(['pending', 'downloading', 'verifying', 'complete']).toContain(r.status)},
			{what: 'PUT', id: ids.done, call: c => c.updateISO(ids.done!, {version: '1.1'}), after: r => expect(r.file_path).toBe('done/1.1/x86_64/done-1.1-live-x86_64.iso')},
			{what: 'verify', id: ids.done, call: c => c.doJSON('POST', `/api/isos/${ids.done}/verify`, undefined, ISO), after: r => expect(r.status).toBe('complete')},
			{
				what: 'DELETE',
				id: ids.slow,
				call: c => c.deleteISO(ids.slow!),
				after: async () => {
					await expectApiError(client.getISO(ids.slow!), 404, 'NOT_FOUND');
				},
			},
		];
		let address = 20;
		for (const step of steps) {
			const before = step.id ? await rowState(step.id) : JSON.stringify((await client.listISOs()).pagination);
			// Each refusal from an address of its own, so the failure limit (per address) stays out of the way.
			for (const bearer of [undefined, 'wrong-token-wrong-token-wrong']) {
				const refused = await expectApiError(step.call(new GoClient(serving.url, {token: bearer, localAddress: `127.0.0.${address++}`})), 401, 'UNAUTHORIZED');
				expect(refused.message, step.what).toMatch(bearer ? /not right/ : /Authorization: Bearer/);
				const now = step.id ? await rowState(step.id) : JSON.stringify((await client.listISOs()).pagination);
				expect(now, `${step.what} with ${bearer ? 'a wrong' : 'no'} token changed something`).toBe(before);
			}

			await step.after(await step.call(client));
		}

		expect(token).not.toBe('');
		expect(JSON.stringify(serving.daemon.lines)).not.toContain(token);
	});

	it('every error code the daemon gives reaches a Go client as an APIError with its status, code and a string details', async () => {
		const invalid = await expectApiError(client.createISO({name: '', version: 'a b', arch: 'x86_64', download_url: 'nope'}), 400, 'VALIDATION_FAILED');
		expect(invalid.details).toMatch(/download_url/);
		expect(typeof invalid.details).toBe('string');
		const malformed = await client.do('POST', '/api/isos', '{"name":');
		expect(malformed.status).toBe(400);
		expect(JSON.parse(malformed.body.toString()).error.code).toBe('BAD_REQUEST');
		await expectApiError(client.retryISO(ids.done!), 400, 'INVALID_STATE');
		await expectApiError(client.getISO('ffffffffffff'), 404, 'NOT_FOUND');
		await expectApiError(client.doJSON('GET', '/api/nothing-here', undefined, undefined), 404, 'NOT_FOUND');
		const conflict = await expectApiError(client.createISO({name: 'done', version: '1.1', arch: 'x86_64', edition: 'live', download_url: origin.url('/pub/done-1.0-x86_64.iso')}), 409, 'CONFLICT');
		decodeGo(conflict.envelope.data.existing, ISO);
		expect(conflict.envelope.data.existing.id).toBe(ids.done);
		await expectApiError(new GoClient(serving.url).deleteISO(ids.done!), 401, 'UNAUTHORIZED');
		const big = await client.do('POST', '/api/isos', JSON.stringify({name: 'x'.repeat(100 * KiB), version: '1', arch: 'x86_64', download_url: 'https://example.org/a.iso'}));
		expect(big.status).toBe(413);
		expect(JSON.parse(big.body.toString()).error.code).toBe('PAYLOAD_TOO_LARGE');
		// Ten failures from one address in a minute: that address gets 429 (with Retry-After), even with the right
		// token; the owner's address is not held up by it.
		const attacker = (bearer?: string) => new GoClient(serving.url, {token: bearer, localAddress: '127.0.0.99'});
		for (let i = 0; i < 10; i++) await expectApiError(attacker(`guess-${i}-guess-guess-guess`).deleteISO(ids.done!), 401, 'UNAUTHORIZED');
		const limited = await expectApiError(attacker(token).deleteISO(ids.done!), 429, 'RATE_LIMITED');
		expect(limited.message).toMatch(/try again in \d+ s/);
		expect(Number((await attacker(token).do('DELETE', `/api/isos/${ids.done}`)).headers['retry-after'])).toBeGreaterThan(0);
		expect((await client.getISO(ids.done!)).status).toBe('complete');
	});

	it('the daemon\'s server: a truncated body gets 400 and changes nothing; a client gone mid-body costs nothing', async () => {
		const before = (await client.listISOs({pageSize: 100})).pagination.total as number;
		const body = JSON.stringify({name: 't', version: '1', arch: 'x86_64', download_url: origin.url('/pub/t-1-x86_64.iso')});
		const reply = await new Promise<string>(resolve => {
			const socket = net.connect(serving.port, '127.0.0.1');
			let data = '';
			socket.on('data', d => (data += d.toString()));
			socket.on('close', () => resolve(data));
			socket.on('error', () => resolve(data));
			socket.write(`POST /api/isos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`);
			socket.end();
		});
		expect(reply).toMatch(/^HTTP\/1\.1 400/);
		expect(reply).toContain('BAD_REQUEST');
		await new Promise<void>(resolve => {
			const socket = net.connect(serving.port, '127.0.0.1', () => {
				socket.write(`POST /api/isos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{"download_url":`, () => {
					socket.destroy();
					resolve();
				});
			});
		});
		expect((await client.listISOs({pageSize: 100})).pagination.total).toBe(before);
		await client.health();
	});
});
