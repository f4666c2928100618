/** The bearer token on every change, --auth all and none, the token file, constant-time compare, 429. */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import WebSocket from 'ws';
import {FailureLimiter, loadOrCreateToken, tokenMatches} from '../../../source/server/api/auth.js';
import {tempLibrary} from '../../support/library.js';
import {startApi, type ApiHarness} from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
	await h?.close();
	h = undefined;
});

/** Every route that changes something, with a body where it takes one. */
function mutations(id: string): Array<[string, string, unknown?]> {
	return [
		['POST', '/api/isos', {download_url: 'https://example.org/new-1.0-x86_64.iso'}],
		['PUT', `/api/isos/${id}`, {name: 'renamed'}],
		['DELETE', `/api/isos/${id}`],
		['POST', `/api/isos/${id}/retry`],
		['POST', `/api/isos/${id}/pause`],
		['POST', `/api/isos/${id}/resume`],
		['POST', `/api/isos/${id}/cancel`],
		['POST', `/api/isos/${id}/verify`],
	];
}

const snapshot = (a: ApiHarness) => JSON.stringify(a.manager.list());

describe('--auth changes (the default)', () => {
	it('every mutating route: no token → 401, wrong token → 401, nothing changed', async () => {
		h = await startApi({limiter: new FailureLimiter(1000)});
		h.manager.stop();
		const image = h.manager.addNow({url: 'https://example.org/auth-1.0-x86_64.iso'});
		await h.manager.cancel(image.id);
		const before = snapshot(h);
		for (const [method, route, body] of mutations(image.id)) {
			for (const token of [null, 'wrong-token-wrong-token']) {
				const r = await h.call(method, route, {body, token});
				expect(r.status, `${method} ${route} token=${token}`).toBe(401);
				expect(r.json.error.code).toBe('UNAUTHORIZED');
				expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
			}
		}

		expect(snapshot(h)).toBe(before);
		// Reads stay open, as in ISOMan (hosts install from the library without credentials).
		expect((await h.call('GET', '/api/isos', {token: null})).status).toBe(200);
		expect((await h.call('GET', `/api/isos/${image.id}`, {token: null})).status).toBe(200);
		expect((await h.call('GET', '/api/stats', {token: null})).status).toBe(200);
	});

	it('the right token passes on every mutating route', async () => {
		h = await startApi();
		h.manager.stop();
		const image = h.manager.addNow({url: 'https://example.org/ok-1.0-x86_64.iso'});
		await h.manager.cancel(image.id);
		const statuses: number[] = [];
		for (const [method, route, body] of mutations(image.id)) statuses.push((await h.call(method, route, {body})).status);
		// create 201; edit of a failed image 200; delete 200; then the id is gone (404) for the rest.
		expect(statuses.slice(0, 3)).toEqual([201, 200, 200]);
		expect(statuses.slice(3).every(s => s === 404)).toBe(true);
	});

	it('repeated failures from one address get 429 with Retry-After, even with the right token then', async () => {
		h = await startApi();
		let last = 0;
		for (let i = 0; i < 12; i++) last = (await h.call('DELETE', '/api/isos/abc', {token: `nope-${i}-nope-nope`})).status;
		expect(last).toBe(429);
		const blocked = await h.call('DELETE', '/api/isos/abc');
		expect(blocked.status).toBe(429);
		expect(blocked.json.error.code).toBe('RATE_LIMITED');
		expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
	});
});

describe('--auth all', () => {
	it('reads of /api/ and /ws need the token too', async () => {
		h = await startApi({auth: 'all'});
		expect((await h.call('GET', '/api/isos', {token: null})).status).toBe(401);
		expect((await h.call('GET', '/api/stats', {token: null})).status).toBe(401);
		expect((await h.call('GET', '/api/events', {token: null})).status).toBe(401);
		expect((await h.call('GET', '/api/isos')).status).toBe(200);
		const ws = `${h.origin.replace('http', 'ws')}/ws`;
		const refused = await new Promise<number>(resolve => {
			const socket = new WebSocket(ws);
			socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
			socket.on('open', () => resolve(101));
			socket.on('error', () => {});
		});
		expect(refused).toBe(401);
		const accepted = await new Promise<boolean>(resolve => {
			const socket = new WebSocket(ws, {headers: {authorization: `Bearer ${h!.token}`}});
			socket.on('open', () => {
				socket.close();
				resolve(true);
			});
			socket.on('unexpected-response', () => resolve(false));
		});
		expect(accepted).toBe(true);
	});
});

describe('--auth none', () => {
	it('ISOMan’s open behaviour: changes need no token', async () => {
		h = await startApi({auth: 'none'});
		const r = await h.call('POST', '/api/isos', {body: {download_url: 'https://example.org/open-1.0-x86_64.iso'}, token: null});
		expect(r.status).toBe(201);
		expect(fs.existsSync(path.join(h.lib.dir, 'api-token'))).toBe(false);
	});
});

describe('the token file', () => {
	it('is created 0600 with ≥128 random bits when none is set, and read back the next time', () => {
		const lib = tempLibrary();
		try {
			const first = loadOrCreateToken(lib.dir);
			expect(first.created).toBe(true);
			expect(Buffer.from(first.token, 'base64url').length).toBeGreaterThanOrEqual(16);
			expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
			const second = loadOrCreateToken(lib.dir);
			expect(second).toMatchObject({token: first.token, created: false});
			// A file someone made readable is tightened again.
			fs.chmodSync(first.file, 0o644);
			loadOrCreateToken(lib.dir);
			expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
		} finally {
			lib.cleanup();
		}
	});

	it('is never read or written through a symlink', () => {
		const lib = tempLibrary();
		try {
			const elsewhere = path.join(lib.dir, 'elsewhere');
			fs.writeFileSync(elsewhere, 'x'.repeat(40));
			fs.symlinkSync(elsewhere, path.join(lib.dir, 'api-token'));
			expect(() => loadOrCreateToken(lib.dir)).toThrow();
			expect(fs.readFileSync(elsewhere, 'utf8')).toBe('x'.repeat(40));
		} finally {
			lib.cleanup();
		}
	});

	it('an API without a configured token uses the file', async () => {
		h = await startApi({apiToken: ''});
		const file = path.join(h.lib.dir, 'api-token');
		expect(h.api.tokenFile).toBe(file);
		const token = fs.readFileSync(file, 'utf8').trim();
		expect((await h.call('POST', '/api/isos', {body: {download_url: 'https://example.org/f-1.0-x86_64.iso'}, token})).status).toBe(201);
	});
});

describe('pieces', () => {
	it('tokenMatches compares whole tokens of any length', () => {
		expect(tokenMatches('abc', 'abc')).toBe(true);
		expect(tokenMatches('abc', 'abcd')).toBe(false);
		expect(tokenMatches('', 'abc')).toBe(false);
	});

	it('the limiter blocks after the limit, forgets old windows, and stays bounded', () => {
		let now = 0;
		const limiter = new FailureLimiter(3, 1000, 5000, 100, () => now);
		limiter.fail('a');
		limiter.fail('a');
		expect(limiter.blockedFor('a')).toBe(0);
		limiter.fail('a');
		expect(limiter.blockedFor('a')).toBe(5);
		now = 6000;
		expect(limiter.blockedFor('a')).toBe(0);
		for (let i = 0; i < 1000; i++) limiter.fail(`spray-${i}`);
		expect((limiter as unknown as {windows: Map<string, unknown>}).windows.size).toBeLessThanOrEqual(100);
	});
});
