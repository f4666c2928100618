/**
 * `GET|HEAD /images/…` against the real daemon (`isoman --daemon --listen 127.0.0.1:0`): the bytes, the headers,
 * ranges, preconditions, sidecars, redirects and the JSON index, /health, the headers on every response, CORS
 * only when asked, and methods other than GET/HEAD.
 */
import {createHash} from 'node:crypto';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Image} from '../../source/core/types.js';
import {killChildren} from '../cli/helpers.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, rawGet, rawRequest, serve, type Serving} from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let iso: Image;
let unverified: Image;
let qcow: Image;
let b2: Image;
let isoBytes: Buffer;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const get = async (path: string, init: RequestInit = {}) => fetch(serving.url + path, init);

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	[iso, unverified, qcow, b2] = (await completeImages(lib.dir, origin, [
		{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 2 * MiB + 17, seed: 1},
		{path: '/pub/debian-12.5.0-amd64-netinst.iso', size: MiB, seed: 2, verified: false},
		{path: '/vm/disk.qcow2', size: 512 * KiB, seed: 3, name: 'My Disk', version: '1.0'},
		{path: '/pub/rocky-9.5-x86_64.iso', size: 300 * KiB, seed: 4, algorithm: 'blake2b512'},
	])) as [Image, Image, Image, Image];
	isoBytes = Buffer.from(await (await fetch(origin.url('/pub/alpine-standard-3.20.3-x86_64.iso'))).arrayBuffer());
	serving = await serve(lib.dir);
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
});

describe('the daemon serves complete images', () => {
	it('prints a listening event with the address, the port and the URLs', async () => {
		const line = serving.daemon.lines.find(l => l.event === 'listening')!;
		expect(line).toMatchObject({level: 'info', address: '127.0.0.1', port: serving.port, url: `http://127.0.0.1:${serving.port}`, images_url: `http://127.0.0.1:${serving.port}/images/`});
		const started = serving.daemon.lines.findIndex(l => l.event === 'started');
		expect(serving.daemon.lines.indexOf(line)).toBeGreaterThan(started);
	});

	it('GET /health gives the status, the time and the version', async () => {
		const response = await get('/health');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		const body = (await response.json()) as {success: boolean; data: {status: string; time: string; version: string}};
		expect(body).toMatchObject({success: true, data: {status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/)}});
		expect(Math.abs(Date.parse(body.data.time) - Date.now())).toBeLessThan(60_000);
		expect(body.data.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
	});

	it('GET sends exactly the bytes on disk, with length, type, validators and the digest', async () => {
		const response = await get(`/images/${iso.filePath}`);
		expect(response.status).toBe(200);
		const body = Buffer.from(await response.arrayBuffer());
		expect(body.length).toBe(iso.sizeBytes);
		expect(sha256(body)).toBe(iso.checksum);
		expect(body.equals(isoBytes)).toBe(true);
		const h = response.headers;
		expect(h.get('content-length')).toBe(String(iso.sizeBytes));
		expect(h.get('content-type')).toBe('application/x-iso9660-image');
		expect(h.get('accept-ranges')).toBe('bytes');
		expect(h.get('etag')).toBe(`"sha256-${iso.checksum}"`);
		expect(h.get('repr-digest')).toBe(`sha-256=:${Buffer.from(iso.checksum!, 'hex').toString('base64')}:`);
		expect(Date.parse(h.get('last-modified')!)).toBeGreaterThan(Date.now() - 3_600_000);
		expect(h.get('x-content-type-options')).toBe('nosniff');
		expect(h.get('access-control-allow-origin')).toBeNull();
	});

	it('other images are application/octet-stream; an unverified one is served with its recorded digest', async () => {
		const q = await get(`/images/${qcow.filePath}`);
		expect(q.headers.get('content-type')).toBe('application/octet-stream');
		expect(sha256(Buffer.from(await q.arrayBuffer()))).toBe(qcow.checksum);
		const u = await get(`/images/${unverified.filePath}`);
		expect(u.status).toBe(200);
		expect(u.headers.get('etag')).toBe(`"sha256-${unverified.checksum}"`);
		await u.arrayBuffer();
		// blake2b512 has no RFC 9530 token: no Repr-Digest, but a strong ETag from the digest.
		const b = await get(`/images/${b2.filePath}`, {method: 'HEAD'});
		expect(b.headers.get('repr-digest')).toBeNull();
		expect(b.headers.get('etag')).toBe(`"blake2b512-${b2.checksum}"`);
	});

	it('HEAD gives the same headers and no body', async () => {
		const response = await rawRequest(serving.port, rawGet(`/images/${iso.filePath}`, 'HEAD'));
		expect(response.status).toBe(200);
		expect(response.headers['content-length']).toBe(String(iso.sizeBytes));
		expect(response.headers['etag']).toBe(`"sha256-${iso.checksum}"`);
		expect(response.body.length).toBe(0);
	});

	it('one range → 206 with Content-Range; suffix and open ranges; 416 beyond the end; several ranges → the whole file', async () => {
		const size = iso.sizeBytes!;
		const cases: Array<[string, number, number]> = [
			['bytes=100-199', 100, 199],
			['bytes=-10', size - 10, size - 1],
			[`bytes=${size - 5}-`, size - 5, size - 1],
			[`bytes=0-${size + 1000}`, 0, size - 1],
			['bytes=1048570-1048580', 1_048_570, 1_048_580],
		];
		for (const [range, start, end] of cases) {
			const response = await get(`/images/${iso.filePath}`, {headers: {Range: range}});
			expect(response.status, range).toBe(206);
			expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
			expect(response.headers.get('content-length')).toBe(String(end - start + 1));
			expect(Buffer.from(await response.arrayBuffer()).equals(isoBytes.subarray(start, end + 1)), range).toBe(true);
		}

		for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
			const response = await get(`/images/${iso.filePath}`, {headers: {Range: range}});
			expect(response.status, range).toBe(416);
			expect(response.headers.get('content-range')).toBe(`bytes */${size}`);
			await response.arrayBuffer();
		}

		for (const range of ['bytes=0-9,20-29', 'bytes=abc', 'items=0-1', 'bytes=9-3']) {
			const response = await get(`/images/${iso.filePath}`, {headers: {Range: range}});
			expect(response.status, range).toBe(200);
			expect(response.headers.get('content-length')).toBe(String(size));
			await response.arrayBuffer();
		}
	});

	it('If-Range: a matching ETag or date gives the range, anything else the whole file', async () => {
		const head = await get(`/images/${iso.filePath}`, {method: 'HEAD'});
		const etag = head.headers.get('etag')!;
		const lastModified = head.headers.get('last-modified')!;
		const ranged = async (ifRange: string) => {
			const response = await get(`/images/${iso.filePath}`, {headers: {Range: 'bytes=0-99', 'If-Range': ifRange}});
			await response.arrayBuffer();
			return response.status;
		};

		expect(await ranged(etag)).toBe(206);
		expect(await ranged(lastModified)).toBe(206);
		expect(await ranged('"sha256-0000"')).toBe(200);
		expect(await ranged(`W/${etag}`)).toBe(200);
		expect(await ranged('Tue, 01 Jan 2019 00:00:00 GMT')).toBe(200);
	});

	it('If-None-Match and If-Modified-Since → 304 without a body; a stale copy gets 200', async () => {
		const head = await get(`/images/${iso.filePath}`, {method: 'HEAD'});
		const etag = head.headers.get('etag')!;
		for (const value of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
			const response = await rawRequest(serving.port, rawGet(`/images/${iso.filePath}`, 'GET', {'If-None-Match': value}));
			expect(response.status, value).toBe(304);
			expect(response.body.length).toBe(0);
			expect(response.headers['etag']).toBe(etag);
		}

		const stale = await get(`/images/${iso.filePath}`, {headers: {'If-None-Match': '"sha256-0000"'}});
		expect(stale.status).toBe(200);
		await stale.arrayBuffer();
		const since = await rawRequest(serving.port, rawGet(`/images/${iso.filePath}`, 'GET', {'If-Modified-Since': head.headers.get('last-modified')!}));
		expect(since.status).toBe(304);
		const old = await get(`/images/${iso.filePath}`, {headers: {'If-Modified-Since': 'Tue, 01 Jan 2019 00:00:00 GMT'}});
		expect(old.status).toBe(200);
		await old.arrayBuffer();
		// If-None-Match wins over If-Modified-Since.
		const both = await get(`/images/${iso.filePath}`, {headers: {'If-None-Match': '"x"', 'If-Modified-Since': head.headers.get('last-modified')!}});
		expect(both.status).toBe(200);
		await both.arrayBuffer();
	});

	it('serves the sidecar as text (also at .<checksum_type>, as ISOMan links it), and it checks the image', async () => {
		const sidecar = await get(`/images/${iso.filePath}.sha256`);
		expect(sidecar.status).toBe(200);
		expect(sidecar.headers.get('content-type')).toBe('text/plain; charset=utf-8');
		expect(await sidecar.text()).toBe(`${iso.checksum}  ${iso.filename}\n`);
		const b2Sidecar = await get(`/images/${b2.filePath}.b2`);
		const alias = await get(`/images/${b2.filePath}.blake2b512`);
		expect(b2Sidecar.status).toBe(200);
		expect(alias.status).toBe(200);
		const text = await b2Sidecar.text();
		expect(await alias.text()).toBe(text);
		expect(text).toBe(`${b2.checksum}  ${b2.filename}\n`);
		// Another algorithm's name is not this image's sidecar.
		expect((await get(`/images/${iso.filePath}.sha512`)).status).toBe(404);
		expect((await get(`/images/${iso.filePath}.md5`)).status).toBe(404);
	});

	it('ETags are the same after a restart', async () => {
		const before = (await get(`/images/${iso.filePath}`, {method: 'HEAD'})).headers.get('etag');
		serving.daemon.kill('SIGTERM');
		expect((await serving.daemon.exited).code).toBe(0);
		serving = await serve(lib.dir);
		const after = (await get(`/images/${iso.filePath}`, {method: 'HEAD'})).headers.get('etag');
		expect(after).toBe(before);
	});
});

describe('directories', () => {
	it('301 to the trailing slash: /images and every directory', async () => {
		for (const [path, location] of [
			['/images', '/images/'],
			['/images/alpine-standard', '/images/alpine-standard/'],
			[`/images/${iso.filePath.split('/').slice(0, -1).join('/')}`, `/images/${iso.filePath.split('/').slice(0, -1).join('/')}/`],
		] as const) {
			const response = await get(path, {redirect: 'manual'});
			expect(response.status, path).toBe(301);
			expect(response.headers.get('location')).toBe(location);
		}
	});

	it('the JSON index: directories first, then files with size, time, href, id and checksum', async () => {
		const root = (await (await get('/images/', {headers: {Accept: 'application/json'}})).json()) as {path: string; entries: Array<Record<string, unknown>>};
		expect(root.path).toBe('/images/');
		expect(root.entries.map(e => e.name)).toEqual(['alpine-standard', 'debian', 'my-disk', 'rocky']);
		expect(root.entries.every(e => e.type === 'dir' && typeof e.href === 'string' && String(e.href).endsWith('/'))).toBe(true);

		const dir = iso.filePath.split('/').slice(0, -1).join('/');
		const listing = (await (await get(`/images/${dir}/`, {headers: {Accept: 'application/json'}})).json()) as {path: string; entries: Array<Record<string, unknown>>};
		expect(listing.path).toBe(`/images/${dir}/`);
		expect(listing.entries).toEqual([
			expect.objectContaining({
				name: iso.filename,
				type: 'file',
				size_bytes: iso.sizeBytes,
				href: `/images/${iso.filePath}`,
				id: iso.id,
				checksum: iso.checksum,
				checksum_type: 'sha256',
				verified: true,
				modified: expect.stringMatching(/Z$/),
			}),
			expect.objectContaining({name: `${iso.filename}.sha256`, type: 'file', size_bytes: `${iso.checksum}  ${iso.filename}\n`.length}),
		]);
		// The hrefs lead to the files.
		for (const entry of listing.entries) expect((await get(String(entry.href), {method: 'HEAD'})).status).toBe(200);
		// ?format=json works as well as the Accept header.
		expect((await (await get(`/images/${dir}/?format=json`)).json()) as unknown).toEqual(listing);
	});

	it('a directory that leads to no complete image is 404, like any unknown path', async () => {
		for (const path of ['/images/nothing/', '/images/alpine-standard/9.9/', '/images/.tmp/', '/nothing', '/api-not', '/images/alpine-standard/3.20.3/x86_64/none.iso']) {
			const response = await get(path, {redirect: 'manual'});
			expect(response.status, path).toBe(404);
			expect(response.headers.get('x-content-type-options')).toBe('nosniff');
			await response.arrayBuffer();
		}
	});
});

describe('methods, headers and CORS', () => {
	it('only GET and HEAD under /images/ (405 with Allow)', async () => {
		for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
			const response = await get(`/images/${iso.filePath}`, {method});
			expect(response.status, method).toBe(405);
			expect(response.headers.get('allow')).toBe('GET, HEAD');
			await response.arrayBuffer();
		}
	});

	it('no CORS headers without --cors-origin, even for an Origin', async () => {
		const response = await get('/health', {headers: {Origin: 'https://evil.example'}});
		expect(response.headers.get('access-control-allow-origin')).toBeNull();
		await response.arrayBuffer();
	});

	it('with --cors-origin: the listed origin gets CORS headers and preflights, another gets none', async () => {
		// One daemon per library: stop the one serving it, start one with the setting.
		serving.daemon.kill('SIGTERM');
		await serving.daemon.exited;
		const cors = await serve(lib.dir, ['--cors-origin', 'https://ok.example']);
		try {
			const ok = await fetch(`${cors.url}/images/${iso.filePath}`, {method: 'HEAD', headers: {Origin: 'https://ok.example'}});
			expect(ok.headers.get('access-control-allow-origin')).toBe('https://ok.example');
			expect(ok.headers.get('access-control-expose-headers')).toContain('Content-Range');
			expect(ok.headers.get('vary')).toContain('Origin');
			const other = await fetch(`${cors.url}/images/${iso.filePath}`, {method: 'HEAD', headers: {Origin: 'https://evil.example'}});
			expect(other.headers.get('access-control-allow-origin')).toBeNull();
			const preflight = await fetch(`${cors.url}/images/${iso.filePath}`, {
				method: 'OPTIONS',
				headers: {Origin: 'https://ok.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range'},
			});
			expect(preflight.status).toBe(204);
			expect(preflight.headers.get('access-control-allow-headers')).toContain('Range');
		} finally {
			cors.daemon.kill('SIGTERM');
			await cors.daemon.exited;
			serving = await serve(lib.dir);
		}
	});
});
