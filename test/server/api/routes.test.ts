/** Every REST route and every error code, against a real server, catalogue and publisher. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {generatedBytes} from '../../support/server.js';
import {waitFor} from '../../support/library.js';
import {apiResponse, decodeGo} from './go-types.js';
import {startApi, type ApiHarness} from './helpers.js';

let h: ApiHarness;
beforeEach(async () => {
	h = await startApi();
});
afterEach(async () => {
	await h.close();
});

const KiB = 1024;

async function publish(file: string, size = 64 * KiB, seed = 1): Promise<string> {
	await h.server.serve(`/${file}`, {kind: 'generated', size, seed, fileType: file.split('.').pop()});
	return h.server.url(`/${file}`);
}

async function create(body: Record<string, unknown>) {
	return h.call('POST', '/api/isos', {body});
}

describe('POST /api/isos', () => {
	it('creates a pending image (201) with ISOMan fields and message', async () => {
		const url = await publish('alpine-standard-3.20.3-x86_64.iso');
		const r = await create({name: 'Alpine Linux', version: '3.20.3', arch: 'x86_64', edition: '', download_url: url, checksum_url: '', checksum_type: 'sha256'});
		expect(r.status).toBe(201);
		expect(r.json.success).toBe(true);
		expect(r.json.message).toBe('ISO download queued successfully');
		expect(r.json.data).toMatchObject({name: 'alpine-linux', version: '3.20.3', arch: 'x86_64', edition: '', status: 'pending', progress: 0, checksum_url: '', file_type: 'iso'});
		expect(r.json.data.download_link).toBe(`/images/${r.json.data.file_path}`);
		await h.until(r.json.data.id, 'complete');
	});

	it('names every bad field with its rule (400 VALIDATION_FAILED, details a string)', async () => {
		const before = h.manager.list().length;
		const r = await create({name: '!!!', version: 'a b', arch: '../x', edition: 'x/y', download_url: 'ftp://example.org/a.iso', checksum_type: 'crc32'});
		expect(r.status).toBe(400);
		expect(r.json.success).toBe(false);
		expect(r.json.error.code).toBe('VALIDATION_FAILED');
		expect(typeof r.json.error.details).toBe('string');
		const fields = (r.json.error.fields as Array<{field: string; message: string}>).map(f => f.field).sort();
		expect(fields).toEqual(['arch', 'checksum_type', 'download_url', 'edition', 'name', 'version']);
		for (const f of r.json.error.fields) expect(f.message.startsWith(`${f.field}:`)).toBe(true);
		expect(r.json.error.details).toContain('download_url: only http and https');
		expect(h.manager.list().length).toBe(before);
	});

	it('refuses wrongly typed fields and a missing download_url', async () => {
		const r = await create({name: 5, version: ['1'], download_url: null});
		expect(r.status).toBe(400);
		expect(r.json.error.code).toBe('VALIDATION_FAILED');
		const fields = r.json.error.fields.map((f: {field: string}) => f.field).sort();
		expect(fields).toEqual(['download_url', 'name', 'version']);
	});

	it('409 CONFLICT with data.existing for the same identity', async () => {
		const url = await publish('os-1.0-x86_64.iso');
		const first = await create({download_url: url});
		expect(first.status).toBe(201);
		const again = await create({download_url: url, name: 'OS', version: '1.0'});
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('CONFLICT');
		expect(again.json.data.existing.id).toBe(first.json.data.id);
		expect(again.json.data.existing.name).toBe('os');
	});

	it('concurrent creates of one identity: one 201, the rest 409 naming the one that exists', async () => {
		const url = await publish('race-2.0-x86_64.iso');
		const replies = await Promise.all(Array.from({length: 8}, () => create({download_url: url})));
		const created = replies.filter(r => r.status === 201);
		const conflicts = replies.filter(r => r.status === 409);
		expect(created).toHaveLength(1);
		expect(conflicts).toHaveLength(7);
		for (const c of conflicts) expect(c.json.data.existing.id).toBe(created[0]!.json.data.id);
		expect(h.manager.list().filter(i => i.name === 'race')).toHaveLength(1);
	});

	it('400 BAD_REQUEST for malformed JSON, a non-object and an empty body; nothing created', async () => {
		for (const raw of ['{"name": "x",', 'not json', '[1,2]', '"text"', '']) {
			const r = await h.call('POST', '/api/isos', {raw, headers: {'content-type': 'application/json'}});
			expect(r.status, raw).toBe(400);
			expect(r.json.error.code).toBe('BAD_REQUEST');
			expect(r.json.error.message).toMatch(/JSON|empty/);
		}

		expect(h.manager.list()).toHaveLength(0);
	});

	it('accepts a JSON body sent without a JSON Content-Type (curl -d), as ISOMan did', async () => {
		const url = await publish('curl-1.0-x86_64.iso');
		const r = await h.call('POST', '/api/isos', {raw: JSON.stringify({download_url: url}), headers: {'content-type': 'application/x-www-form-urlencoded'}});
		expect(r.status).toBe(201);
	});

	it('a 100 KiB body is refused with 413 PAYLOAD_TOO_LARGE, declared or chunked', async () => {
		const big = JSON.stringify({download_url: 'https://example.org/a-1.0-x86_64.iso', name: 'x'.repeat(100 * KiB)});
		const declared = await h.call('POST', '/api/isos', {raw: big, headers: {'content-type': 'application/json'}});
		expect(declared.status).toBe(413);
		expect(declared.json.error.code).toBe('PAYLOAD_TOO_LARGE');
		// Chunked: no Content-Length, so the running count decides.
		const chunked = await new Promise<string>((resolve, reject) => {
			const socket = net.connect(Number(new URL(h.origin).port), '127.0.0.1');
			let data = '';
			socket.on('data', d => (data += d.toString()));
			socket.on('close', () => resolve(data));
			socket.on('error', reject);
			socket.write(`POST /api/isos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
			for (let i = 0; i < 10; i++) socket.write(`2800\r\n${'x'.repeat(10 * KiB)}\r\n`);
			socket.write('0\r\n\r\n');
		});
		expect(chunked).toMatch(/^HTTP\/1\.1 413/);
		expect(chunked).toContain('PAYLOAD_TOO_LARGE');
		expect(h.manager.list()).toHaveLength(0);
	});

	it('a truncated body changes nothing: 400 to a client that stopped sending, and the server keeps working', async () => {
		const body = JSON.stringify({download_url: 'https://example.org/t-1.0-x86_64.iso'});
		const reply = await new Promise<string>(resolve => {
			const socket = net.connect(Number(new URL(h.origin).port), '127.0.0.1');
			let data = '';
			socket.on('data', d => (data += d.toString()));
			socket.on('close', () => resolve(data));
			socket.on('error', () => resolve(data));
			socket.write(`POST /api/isos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`);
			socket.end();
		});
		expect(reply).toMatch(/^HTTP\/1\.1 400/);
		// And a client that vanishes mid-body entirely.
		await new Promise<void>(resolve => {
			const socket = net.connect(Number(new URL(h.origin).port), '127.0.0.1', () => {
				socket.write(`POST /api/isos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 1000\r\n\r\n{"download_url":`, () => {
					socket.destroy();
					resolve();
				});
			});
		});
		expect(h.manager.list()).toHaveLength(0);
		const after = await h.call('GET', '/api/isos');
		expect(after.status).toBe(200);
	});
});

describe('GET /api/isos', () => {
	async function seed(n: number) {
		const ids: string[] = [];
		h.manager.stop();
		for (let i = 0; i < n; i++) {
			const image = h.manager.addNow({url: `https://example.org/img${String(i).padStart(2, '0')}-${(n - i) % 4}.${i}-x86_64.iso`});
			ids.push(image.id);
		}

		return ids;
	}

	it('defaults: page 1, page_size 10, newest first; pagination metadata', async () => {
		await seed(23);
		const r = await h.call('GET', '/api/isos');
		expect(r.status).toBe(200);
		expect(r.json.data.pagination).toEqual({page: 1, page_size: 10, total: 23, total_pages: 3});
		expect(r.json.data.isos).toHaveLength(10);
		const created = r.json.data.isos.map((i: {created_at: string}) => i.created_at);
		expect([...created].sort().reverse()).toEqual(created);
	});

	it('pagination edges and clamps as ISOMan: bad values fall back, page_size ≤ 100, past the end is empty', async () => {
		await seed(23);
		const page = async (q: string) => (await h.call('GET', `/api/isos?${q}`)).json.data;
		expect((await page('page=3')).isos).toHaveLength(3);
		expect((await page('page=4')).isos).toHaveLength(0);
		expect((await page('page=4')).pagination).toEqual({page: 4, page_size: 10, total: 23, total_pages: 3});
		expect((await page('page=0')).pagination.page).toBe(1);
		expect((await page('page=-2')).pagination.page).toBe(1);
		expect((await page('page=abc')).pagination.page).toBe(1);
		expect((await page('page=1.5')).pagination.page).toBe(1);
		expect((await page('page_size=1000')).pagination.page_size).toBe(100);
		expect((await page('page_size=0')).pagination.page_size).toBe(10);
		expect((await page('page_size=x')).pagination.page_size).toBe(10);
		expect((await page('page_size=5&page=5')).isos).toHaveLength(3);
		// Every row appears exactly once across pages.
		const seen: string[] = [];
		for (let p = 1; p <= 5; p++) seen.push(...(await page(`page_size=5&page=${p}&sort_by=status`)).isos.map((i: {id: string}) => i.id));
		expect(new Set(seen).size).toBe(23);
	});

	it('an empty library: total 0, total_pages 0, isos []', async () => {
		const r = await h.call('GET', '/api/isos');
		expect(r.json.data).toEqual({isos: [], pagination: {page: 1, page_size: 10, total: 0, total_pages: 0}});
	});

	it('sort orders: name, version, size_bytes, created_at, status, asc/desc; unknown falls back to created_at desc', async () => {
		await seed(12);
		const order = async (q: string, key: string) => (await h.call('GET', `/api/isos?page_size=100&${q}`)).json.data.isos.map((i: Record<string, unknown>) => i[key]);
		const sorted = (values: unknown[], dir: 'asc' | 'desc') => {
			const copy = [...values].sort((a, b) => ((a as never) < (b as never) ? -1 : (a as never) > (b as never) ? 1 : 0));
			return dir === 'asc' ? copy : copy.reverse();
		};

		for (const key of ['name', 'version', 'size_bytes', 'created_at', 'status']) {
			const asc = await order(`sort_by=${key}&sort_dir=asc`, key);
			expect(asc, key).toEqual(sorted(asc, 'asc'));
			const desc = await order(`sort_by=${key}&sort_dir=desc`, key);
			expect(desc, key).toEqual(sorted(desc, 'desc'));
			const dflt = await order(`sort_by=${key}&sort_dir=sideways`, key);
			expect(dflt, key).toEqual(sorted(dflt, 'desc'));
		}

		const names = await order('sort_by=name&sort_dir=asc', 'name');
		expect(names[0]).toBe('img00');
		const fallback = await order('sort_by=download_url;DROP', 'created_at');
		expect(fallback).toEqual(sorted(fallback, 'desc'));
	});

	it('isoman filters: status= (comma list) and q=; an unknown status is a 400', async () => {
		const ids = await seed(6);
		await h.manager.cancel(ids[0]!);
		await h.manager.pause(ids[1]!);
		const byStatus = await h.call('GET', '/api/isos?status=failed,paused');
		expect(byStatus.json.data.isos.map((i: {id: string}) => i.id).sort()).toEqual([ids[0], ids[1]].sort());
		const q = await h.call('GET', '/api/isos?q=IMG03');
		expect(q.json.data.isos.map((i: {name: string}) => i.name)).toEqual(['img03']);
		const bad = await h.call('GET', '/api/isos?status=done');
		expect(bad.status).toBe(400);
		expect(bad.json.error.code).toBe('VALIDATION_FAILED');
	});
});

describe('one image', () => {
	it('GET by id and by unique prefix; 404 NOT_FOUND otherwise', async () => {
		h.manager.stop();
		const image = h.manager.addNow({url: 'https://example.org/one-1.0-x86_64.iso'});
		expect((await h.call('GET', `/api/isos/${image.id}`)).json.data.id).toBe(image.id);
		expect((await h.call('GET', `/api/isos/${image.id.slice(0, 5)}`)).json.data.id).toBe(image.id);
		const missing = await h.call('GET', '/api/isos/ffffffffffff');
		expect(missing.status).toBe(404);
		expect(missing.json).toMatchObject({success: false, error: {code: 'NOT_FOUND', message: 'ISO not found'}});
	});

	it('GET and DELETE with Content-Type: application/json and no body are fine (as ISOMan’s UI sends them)', async () => {
		h.manager.stop();
		const image = h.manager.addNow({url: 'https://example.org/ui-1.0-x86_64.iso'});
		const get = await h.call('GET', `/api/isos/${image.id}`, {headers: {'content-type': 'application/json'}});
		expect(get.status).toBe(200);
		const del = await h.call('DELETE', `/api/isos/${image.id}`, {headers: {'content-type': 'application/json'}});
		expect(del.status).toBe(200);
		expect(del.json).toEqual({success: true, message: 'Resource deleted successfully'});
		expect(h.manager.get(image.id)).toBeUndefined();
		expect((await h.call('DELETE', `/api/isos/${image.id}`)).status).toBe(404);
	});

	it('DELETE stops a running download and removes its files', async () => {
		await h.server.serve('/slow-1.0-x86_64.iso', {kind: 'generated', size: 4 * 1024 * KiB, seed: 3, fileType: 'iso'}, {throttleBps: 256 * KiB});
		const created = await create({download_url: h.server.url('/slow-1.0-x86_64.iso')});
		const id = created.json.data.id as string;
		await waitFor(() => (h.manager.get(id)?.downloadedBytes ?? 0) > 0 || h.tmpFiles().length > 0, {what: 'bytes'});
		const del = await h.call('DELETE', `/api/isos/${id}`);
		expect(del.status).toBe(200);
		expect(h.manager.get(id)).toBeUndefined();
		expect(h.tmpFiles()).toEqual([]);
	});

	it('retry (failed → pending), and INVALID_STATE for a state it does not fit', async () => {
		await h.server.serve('/gone-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 404}]});
		const created = await create({download_url: h.server.url('/gone-1.0-x86_64.iso')});
		const id = created.json.data.id as string;
		await h.until(id, 'failed');
		const failed = await h.call('GET', `/api/isos/${id}`);
		expect(failed.json.data.status).toBe('failed');
		expect(failed.json.data.error_code).toBe('http_status');
		expect(failed.json.data.error_message).toMatch(/404/);
		await publish('gone-1.0-x86_64.iso');
		const retried = await h.call('POST', `/api/isos/${id}/retry`, {headers: {'content-type': 'application/json'}});
		expect(retried.status).toBe(200);
		expect(retried.json.message).toBe('Download retry queued successfully');
		expect(['pending', 'downloading', 'verifying', 'complete']).toContain(retried.json.data.status);
		await h.until(id, 'complete');
		const again = await h.call('POST', `/api/isos/${id}/retry`);
		expect(again.status).toBe(400);
		expect(again.json.error.code).toBe('INVALID_STATE');
		expect(again.json.error.message).toContain('complete');
	});

	it('pause, resume, cancel and verify', async () => {
		await h.server.serve('/pr-1.0-x86_64.iso', {kind: 'generated', size: 2 * 1024 * KiB, seed: 4, fileType: 'iso'}, {throttleBps: 512 * KiB});
		const id = (await create({download_url: h.server.url('/pr-1.0-x86_64.iso')})).json.data.id as string;
		const paused = await h.call('POST', `/api/isos/${id}/pause`);
		expect(paused.status).toBe(200);
		expect(paused.json.data.status).toBe('paused');
		expect((await h.call('POST', `/api/isos/${id}/pause`)).json.error.code).toBe('INVALID_STATE');
		expect((await h.call('POST', `/api/isos/${id}/verify`)).json.error.code).toBe('INVALID_STATE');
		const resumed = await h.call('POST', `/api/isos/${id}/resume`);
		expect(resumed.json.data.status).not.toBe('paused');
		const cancelled = await h.call('POST', `/api/isos/${id}/cancel`);
		expect(cancelled.json.data).toMatchObject({status: 'failed', error_code: 'cancelled'});
		h.server.setFaults('/pr-1.0-x86_64.iso', {});
		await h.call('POST', `/api/isos/${id}/retry`);
		await h.until(id, 'complete');
		const verified = await h.call('POST', `/api/isos/${id}/verify`);
		expect(verified.status).toBe(200);
		expect(verified.json.data.status).toBe('complete');
		expect(verified.json.message).toMatch(/Verified/);
		// Corrupt the file: verify says so and the image fails `corrupt`.
		fs.appendFileSync(path.join(h.lib.config.imagesDir, verified.json.data.file_path), 'x');
		const corrupt = await h.call('POST', `/api/isos/${id}/verify`);
		expect(corrupt.json.data).toMatchObject({status: 'failed', error_code: 'corrupt'});
	});
});

describe('PUT /api/isos/:id', () => {
	it('moves a complete image on new metadata; refuses URLs on it; 409 for a taken identity; 400 for bad fields', async () => {
		const a = (await create({download_url: await publish('put-1.0-x86_64.iso')})).json.data.id as string;
		const b = (await create({download_url: await publish('other-1.0-x86_64.iso', 64 * KiB, 2)})).json.data.id as string;
		await h.until(a, 'complete');
		await h.until(b, 'complete');
		const moved = await h.call('PUT', `/api/isos/${a}`, {body: {version: '1.1', edition: 'live'}});
		expect(moved.status).toBe(200);
		expect(moved.json.message).toBe('ISO updated successfully');
		expect(moved.json.data).toMatchObject({version: '1.1', edition: 'live', file_path: 'put/1.1/x86_64/put-1.1-live-x86_64.iso', status: 'complete'});
		expect(fs.existsSync(path.join(h.lib.config.imagesDir, moved.json.data.file_path))).toBe(true);
		expect(fs.existsSync(path.join(h.lib.config.imagesDir, 'put', '1.0'))).toBe(false);
		const url = await h.call('PUT', `/api/isos/${a}`, {body: {download_url: 'https://example.org/x-1.0-x86_64.iso'}});
		expect(url.status).toBe(400);
		expect(url.json.error.code).toBe('INVALID_STATE');
		const taken = await h.call('PUT', `/api/isos/${a}`, {body: {name: 'other', version: '1.0', edition: ''}});
		expect(taken.status).toBe(409);
		expect(taken.json.data.existing.id).toBe(b);
		const bad = await h.call('PUT', `/api/isos/${a}`, {body: {version: 'a b', arch: 7}});
		expect(bad.status).toBe(400);
		expect(bad.json.error.code).toBe('VALIDATION_FAILED');
		expect((await h.call('PUT', '/api/isos/ffffffffffff', {body: {version: '2'}})).status).toBe(404);
		expect((await h.call('PUT', `/api/isos/${a}`, {raw: '{"version":', headers: {'content-type': 'application/json'}})).json.error.code).toBe('BAD_REQUEST');
	});

	it('new URLs on a failed image queue it again and it downloads from the new one', async () => {
		await h.server.serve('/dead-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 404}]});
		const id = (await create({download_url: h.server.url('/dead-1.0-x86_64.iso')})).json.data.id as string;
		await h.until(id, 'failed');
		const r = await h.call('PUT', `/api/isos/${id}`, {body: {download_url: await publish('alive-1.0-x86_64.iso', 64 * KiB, 9)}});
		expect(r.status).toBe(200);
		expect(['pending', 'downloading', 'verifying', 'complete']).toContain(r.json.data.status);
		const done = await h.until(id, 'complete');
		expect(done.downloadUrl).toContain('/alive-1.0-x86_64.iso');
	});
});

describe('stats', () => {
	it('ISOMan’s totals and trends with zero-filled days; period and days clamps', async () => {
		const s = await h.call('GET', '/api/stats');
		expect(s.status).toBe(200);
		expect(s.json.data).toMatchObject({total_isos: 0, completed_isos: 0, total_downloads: 0, bandwidth_saved: 0, isos_by_arch: {}, isos_by_edition: {}, isos_by_status: {}, top_downloaded: [], bytes_served: 0});
		const t = await h.call('GET', '/api/stats/trends');
		expect(t.json.data.period).toBe('daily');
		expect(t.json.data.data).toHaveLength(30);
		expect(t.json.data.data.every((d: {count: number}) => d.count === 0)).toBe(true);
		expect((await h.call('GET', '/api/stats/trends?days=7')).json.data.data).toHaveLength(7);
		expect((await h.call('GET', '/api/stats/trends?days=0')).json.data.data).toHaveLength(30);
		expect((await h.call('GET', '/api/stats/trends?days=366')).json.data.data).toHaveLength(30);
		expect((await h.call('GET', '/api/stats/trends?days=365')).json.data.data).toHaveLength(365);
		const weekly = await h.call('GET', '/api/stats/trends?period=weekly&days=28');
		expect(weekly.json.data.period).toBe('weekly');
		for (const d of weekly.json.data.data) expect(d.date).toMatch(/^\d{4}-W\d\d$/);
		expect((await h.call('GET', '/api/stats/trends?period=hourly')).json.data.period).toBe('daily');
	});
});

describe('routing and errors', () => {
	it('unknown routes and methods under /api are 404 NOT_FOUND in the envelope', async () => {
		for (const [method, p] of [
			['GET', '/api/nope'],
			['PATCH', '/api/isos'],
			['POST', '/api/isos/abc/explode'],
			['DELETE', '/api/stats'],
			['GET', '/api/isos/a/b/c/d'],
		] as const) {
			const r = await h.call(method, p);
			expect(r.status, `${method} ${p}`).toBe(404);
			expect(r.json.error.code).toBe('NOT_FOUND');
		}
	});

	it('INTERNAL_ERROR hides the cause from the client and logs it', async () => {
		h.manager.catalogue.db.exec('DROP TABLE download_events');
		const r = await h.call('GET', '/api/stats/trends');
		expect(r.status).toBe(500);
		expect(r.json.error.code).toBe('INTERNAL_ERROR');
		// ISOMan's Go client reads it as an APIError (its envelope's types).
		decodeGo(r.json, apiResponse);
		expect(r.text).not.toContain('download_events');
		expect(h.logs.lines.some(l => l.includes('api.internal_error'))).toBe(true);
	});

	it('credentials in URLs never appear in responses', async () => {
		h.manager.stop();
		h.manager.addNow({url: 'https://user:s3cret@example.org/cred-1.0-x86_64.iso'});
		const r = await h.call('GET', '/api/isos');
		expect(r.text).not.toContain('s3cret');
		expect(r.json.data.isos[0].download_url).toBe('https://user:***@example.org/cred-1.0-x86_64.iso');
		const bad = await h.call('POST', '/api/isos', {body: {download_url: 'https://user:s3cret@example.org/no-type'}});
		expect(bad.status).toBe(400);
		expect(bad.text).not.toContain('s3cret');
	});

	it('content matches what was served (sanity: the generator is deterministic)', () => {
		expect(generatedBytes(16, 1).length).toBe(16);
	});
});
