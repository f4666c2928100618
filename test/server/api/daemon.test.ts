/**
 * The API on the real daemon (`isoman --daemon --listen 127.0.0.1:0`, the built CLI): the token file, auth modes,
 * a download driven through the API and followed on /ws, a download from /images/ counted in the stats, and
 * `isoman edit` / `isoman stats` beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import WebSocket from 'ws';
import {isEvent, isoman, killChildren} from '../../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';
import {startTestServer, type TestServer} from '../../support/server.js';
import {serve} from '../helpers.js';

let lib: TempLibrary;
let server: TestServer;
beforeEach(async () => {
	lib = tempLibrary();
	server = await startTestServer();
});
afterEach(async () => {
	await killChildren();
	await server.close();
	lib.cleanup();
});

const MiB = 1024 * 1024;

async function api(base: string, method: string, route: string, token?: string, body?: unknown) {
	const res = await fetch(base + route, {
		method,
		headers: {...(token ? {authorization: `Bearer ${token}`} : {}), ...(body === undefined ? {} : {'content-type': 'application/json'})},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return {status: res.status, json: (await res.json()) as any};
}

describe('the API on the daemon', () => {
	it('makes <data>/api-token 0600 on the first --listen start and names it in the listening event', async () => {
		const {daemon, url} = await serve(lib.dir);
		const listening = await daemon.next(isEvent('listening'));
		const file = path.join(lib.dir, 'api-token');
		expect(listening['token_file']).toBe(file);
		expect(listening['auth']).toBe('changes');
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		const token = fs.readFileSync(file, 'utf8').trim();
		expect(JSON.stringify(daemon.lines)).not.toContain(token);
		await server.serve('/d-1.0-x86_64.iso', {kind: 'generated', size: 2 * MiB, seed: 31, fileType: 'iso'}, {throttleBps: 1 * MiB});
		expect((await api(url, 'POST', '/api/isos', undefined, {download_url: server.url('/d-1.0-x86_64.iso')})).status).toBe(401);
		const frames: Array<{type: string; payload: {id: string; status: string; progress: number}}> = [];
		const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
		ws.on('message', data => frames.push(JSON.parse(String(data))));
		await new Promise(resolve => ws.once('open', resolve));
		const created = await api(url, 'POST', '/api/isos', token, {download_url: server.url('/d-1.0-x86_64.iso')});
		expect(created.status).toBe(201);
		const id = created.json.data.id as string;
		await daemon.next(isEvent('complete', id), {timeoutMs: 45_000});
		await waitFor(() => frames.some(f => f.payload.id === id && f.payload.status === 'complete'), {what: 'the complete frame'});
		expect(frames.filter(f => f.payload.id === id).every(f => Number.isInteger(f.payload.progress))).toBe(true);
		ws.close();
		// A host fetches the image: the server counts it, and the API's stats and trends show it.
		const image = (await api(url, 'GET', `/api/isos/${id}`)).json.data;
		const download = await fetch(url + image.download_link);
		expect((await download.arrayBuffer()).byteLength).toBe(2 * MiB);
		await waitFor(async () => (await api(url, 'GET', '/api/stats')).json.data.total_downloads === 1, {what: 'the download to be counted'});
		const trends = (await api(url, 'GET', '/api/stats/trends?days=3')).json.data;
		expect(trends.data.map((d: {count: number}) => d.count)).toEqual([0, 0, 1]);
		// isoman stats --json beside the daemon reads the same numbers.
		const stats = JSON.parse((await isoman(lib.dir, ['stats', '--json'])).stdout);
		expect(stats).toMatchObject({total_isos: 1, completed_isos: 1, total_downloads: 1, total_size_bytes: 2 * MiB});
		expect(stats.trends.data).toHaveLength(30);
		// isoman edit while the daemon serves: the file moves, the API and /images/ follow.
		const edited = await isoman(lib.dir, ['edit', id, '--version', '1.1', '--json']);
		expect(JSON.parse(edited.stdout).file_path).toBe('d/1.1/x86_64/d-1.1-x86_64.iso');
		expect((await api(url, 'GET', `/api/isos/${id}`)).json.data.file_path).toBe('d/1.1/x86_64/d-1.1-x86_64.iso');
		expect((await fetch(`${url}/images/d/1.1/x86_64/d-1.1-x86_64.iso`)).status).toBe(200);
		expect((await fetch(`${url}/images/d/1.0/x86_64/d-1.0-x86_64.iso`)).status).toBe(404);
		expect(fs.existsSync(path.join(lib.config.imagesDir, 'd', '1.0'))).toBe(false);
	});

	it('--auth all needs the token for reads; --api-token from the environment is used and never printed', async () => {
		const token = 'env-token-0123456789-abcdef';
		const {daemon, url} = await serve(lib.dir, ['--auth', 'all'], {ISOMAN_API_TOKEN: token});
		const listening = await daemon.next(isEvent('listening'));
		expect(listening['token_file']).toBeNull();
		expect(fs.existsSync(path.join(lib.dir, 'api-token'))).toBe(false);
		expect((await api(url, 'GET', '/api/isos')).status).toBe(401);
		expect((await api(url, 'GET', '/api/isos', token)).status).toBe(200);
		// /health and /images/ stay open: hosts install from the library without credentials.
		expect((await fetch(`${url}/health`)).status).toBe(200);
		expect(JSON.stringify(daemon.lines) + daemon.stderr()).not.toContain(token);
	});

	it('--auth none warns in the listening event and takes changes without a token', async () => {
		const {daemon, url} = await serve(lib.dir, ['--auth', 'none']);
		const listening = await daemon.next(isEvent('listening'));
		expect(listening['auth']).toBe('none');
		expect(String(listening['warning'])).toMatch(/trusted network/);
		expect((await api(url, 'POST', '/api/isos', undefined, {download_url: 'https://example.org/n-1.0-x86_64.iso'})).status).toBe(201);
	});
});
