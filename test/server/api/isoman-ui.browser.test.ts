/// <reference lib="dom" />
/**
 * ISOMan's web UI on isoman: the real daemon (`--listen 127.0.0.1:0 --web-root test/fixtures/isoman-ui`) and a real
 * headless chromium (Debian's, through puppeteer-core) running a page that makes exactly the requests ISOMan
 * v0.3.4's UI makes (its ui/src/lib/api.ts and ui/src/hooks/useWebSocket.ts; see the fixture's header). The page is
 * driven as a person would (typing in the add form, clicking Edit, Retry, Delete) while real downloads run from the
 * fault-injecting test server, and every request it sends is checked against ISOMan's (method, path, query,
 * headers, body), every WebSocket frame is read as the browser got it, and what the page then shows is checked
 * against the library. Skipped, saying why, when chromium is absent.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import puppeteer, {type Browser, type HTTPRequest, type Page} from 'puppeteer-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {WEB_CSP} from '../../../source/server/api/web-root.js';
import {killChildren} from '../../cli/helpers.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';
import {startTestServer, type TestServer} from '../../support/server.js';
import {serve, type Serving} from '../helpers.js';
import {decodeGo, ISO, WSProgressMessage} from './go-types.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const FIXTURE = fileURLToPath(new URL('../../fixtures/isoman-ui', import.meta.url));
const MiB = 1024 * 1024;
const DOWNLOAD_MS = 60_000;

type Sent = {method: string; path: string; contentType: string | undefined; authorization: string | undefined; body: string | undefined};
type Frame = {type: string; payload: {id: string; status: string; progress: number}};

/** A page of the fixture with everything it sends and receives recorded. */
type UiPage = {page: Page; sent: Sent[]; errors: string[]; wsUrls: string[]; frames: string[]};

const title = (what: string) => (haveChromium ? what : `${what} (SKIPPED: ${CHROMIUM} is not installed; apt-get install chromium)`);

let browser: Browser | undefined;

async function launch(): Promise<Browser> {
	browser ??= await puppeteer.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
	return browser;
}

afterAll(async () => {
	await browser?.close();
});

async function openUi(origin: string, route = '/'): Promise<UiPage> {
	const page = await (await launch()).newPage();
	await page.setViewport({width: 1280, height: 900});
	const sent: Sent[] = [];
	const errors: string[] = [];
	const wsUrls: string[] = [];
	const frames: string[] = [];
	page.on('request', (request: HTTPRequest) => {
		const url = new URL(request.url());
		const headers = request.headers();
		sent.push({method: request.method(), path: url.pathname + url.search, contentType: headers['content-type'], authorization: headers['authorization'], body: request.postData()});
	});
	page.on('pageerror', error => errors.push(String(error)));
	page.on('console', message => {
		if (message.type() === 'error') errors.push(message.text());
	});
	// The WebSocket as the browser sees it: the URL it opened and each frame's text, one by one.
	const cdp = await page.createCDPSession();
	await cdp.send('Network.enable');
	cdp.on('Network.webSocketCreated', event => wsUrls.push(event.url));
	cdp.on('Network.webSocketFrameReceived', event => frames.push(event.response.payloadData));
	const response = await page.goto(origin + route, {waitUntil: 'load'});
	expect(response?.status()).toBe(200);
	expect(response?.headers()['content-security-policy']).toBe(WEB_CSP);
	await page.waitForSelector(`body[data-ready="${route}"]`);
	return {page, sent, errors, wsUrls, frames};
}

const apiSent = (ui: UiPage) => ui.sent.filter(s => s.path.startsWith('/api/') || s.path === '/health');

/** The frames about `id`, each parsed on its own (as ISOMan's hook does) and decoded with ISOMan's Go types. */
function framesOf(ui: UiPage, id: string): Frame[] {
	const parsed = ui.frames.map(text => JSON.parse(text) as Frame).filter(f => f.type === 'progress' && f.payload.id === id);
	for (const frame of parsed) decodeGo(frame, WSProgressMessage);
	return parsed;
}

async function rowStatus(page: Page, id: string, status: string, timeout = DOWNLOAD_MS): Promise<void> {
	await page.waitForSelector(`tr[data-id="${id}"][data-status="${status}"]`, {timeout});
}

async function rowText(page: Page, id: string): Promise<Record<string, string>> {
	return page.$eval(`tr[data-id="${id}"]`, row => Object.fromEntries(Array.from(row.querySelectorAll('td')).map(td => [td.className, td.textContent ?? ''])));
}

/** Submit a form whose fields are typed one by one, and wait for the API's answer to it. */
async function submit(ui: UiPage, form: string, fields: Record<string, string>, method: string): Promise<{status: number; json: any}> {
	for (const [name, value] of Object.entries(fields)) {
		const input = `${form} [name="${name}"]`;
		await ui.page.$eval(input, element => {
			(element as HTMLInputElement).value = '';
		});
		await ui.page.type(input, value);
	}

	const [response] = await Promise.all([
		ui.page.waitForResponse(r => r.request().method() === method && new URL(r.url()).pathname.startsWith('/api/isos')),
		ui.page.click(`${form} button[type="submit"]`),
	]);
	return {status: response.status(), json: await response.json()};
}

async function click(ui: UiPage, id: string, action: 'retry' | 'edit' | 'delete', method?: string): Promise<{status: number; json: any} | undefined> {
	const selector = `tr[data-id="${id}"] button.${action}`;
	if (!method) {
		await ui.page.click(selector);
		return undefined;
	}

	const [response] = await Promise.all([ui.page.waitForResponse(r => r.request().method() === method && r.url().includes(`/api/isos/${id}`)), ui.page.click(selector)]);
	return {status: response.status(), json: await response.json()};
}

/** sha256 of what the page itself fetches from `href` (same origin, under the page's policy). */
async function pageFetch(page: Page, href: string): Promise<{status: number; sha256: string; text: string}> {
	return page.evaluate(async (url: string) => {
		const res = await fetch(url);
		const bytes = await res.arrayBuffer();
		const digest = await crypto.subtle.digest('SHA-256', bytes);
		const hex = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
		return {status: res.status, sha256: hex, text: bytes.byteLength < 4096 ? new TextDecoder().decode(bytes) : ''};
	}, href);
}

describe.skipIf(!haveChromium)(title('ISOMan\'s web UI under --web-root --auth none, in headless chromium'), () => {
	let lib: TempLibrary;
	let origin: TestServer;
	let serving: Serving;
	let ui: UiPage;
	let alpineSha: string;
	let alpineId: string;
	let flakyId: string;
	const alpine = '/pub/alpine-standard-3.20.3-x86_64.iso';

	beforeAll(async () => {
		lib = tempLibrary();
		origin = await startTestServer();
		alpineSha = await origin.serve(alpine, {kind: 'generated', size: 3 * MiB, seed: 41, fileType: 'iso'}, {throttleBps: 1 * MiB});
		await origin.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(`${alpineSha}  alpine-standard-3.20.3-x86_64.iso\n`)});
		await origin.serve('/pub/gone-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 403}]});
		await origin.serve('/pub/fixed-1.0-x86_64.iso', {kind: 'generated', size: 1 * MiB, seed: 42, fileType: 'iso'});
		await origin.serve('/pub/flaky-2.0-x86_64.iso', {kind: 'generated', size: 1 * MiB, seed: 43, fileType: 'iso'}, {statuses: [{status: 403}]});
		serving = await serve(lib.dir, ['--web-root', FIXTURE, '--auth', 'none']);
		ui = await openUi(serving.url);
	});

	afterAll(async () => {
		await ui?.page.close();
		await killChildren();
		await origin?.close();
		lib?.cleanup();
	});

	it('loads from the web root under its policy and opens ISOMan\'s first requests: the sorted first page and ws://host/ws', async () => {
		// (The browser's own /favicon.ico aside.)
		expect(ui.sent.filter(s => !s.path.startsWith('/api/') && s.path !== '/favicon.ico').map(s => s.path)).toEqual(['/', '/static/js/app.js']);
		expect(apiSent(ui)).toEqual([
			{method: 'GET', path: '/api/isos?page=1&page_size=10&sort_by=created_at&sort_dir=desc', contentType: 'application/json', authorization: undefined, body: undefined},
		]);
		await ui.page.waitForFunction(() => document.querySelector('#ws-state')?.textContent === 'connected');
		expect(ui.wsUrls).toEqual([`ws://127.0.0.1:${serving.port}/ws`]);
		expect(await ui.page.$eval('#pagination', p => p.textContent)).toBe('page 1 of 0, 0 in all, 10 a page');
		expect(ui.errors).toEqual([]);
	});

	it('Add ISO Download sends every field as ISOMan does; the row follows /ws to complete, refetches, and its links give the file and its checksum', async () => {
		const created = await submit(ui, '#add-form', {name: 'alpine-standard', version: '3.20.3', download_url: origin.url(alpine), checksum_url: origin.url('/pub/SHA256SUMS')}, 'POST');
		expect(created.status).toBe(201);
		const post = apiSent(ui).find(s => s.method === 'POST')!;
		expect(post.contentType).toBe('application/json');
		expect(JSON.parse(post.body!)).toEqual({
			name: 'alpine-standard',
			version: '3.20.3',
			arch: 'x86_64',
			edition: '',
			download_url: origin.url(alpine),
			checksum_url: origin.url('/pub/SHA256SUMS'),
			checksum_type: 'sha256',
		});
		decodeGo(created.json.data, ISO);
		alpineId = created.json.data.id as string;
		await rowStatus(ui.page, alpineId, 'downloading');
		const midway = await rowText(ui.page, alpineId);
		expect(midway['progress']).toMatch(/^\d{1,3}%$/);
		const listsBefore = apiSent(ui).filter(s => s.path.startsWith('/api/isos?')).length;
		await rowStatus(ui.page, alpineId, 'complete');
		// The complete frame made the page refetch: the row now has what frames never carry (the size).
		await ui.page.waitForFunction((id: string) => document.querySelector(`tr[data-id="${id}"] td.size`)?.textContent === String(3 * 1024 * 1024), {}, alpineId);
		expect(apiSent(ui).filter(s => s.path.startsWith('/api/isos?')).length).toBeGreaterThan(listsBefore);
		// The frames the browser got: one JSON object each, ISOMan's types, every state, complete at 100.
		const frames = framesOf(ui, alpineId);
		const statuses = frames.map(f => f.payload.status);
		expect(statuses).toContain('downloading');
		expect(statuses).toContain('verifying');
		expect(statuses.at(-1)).toBe('complete');
		expect(frames.at(-1)!.payload.progress).toBe(100);
		const downloading = frames.filter(f => f.payload.status === 'downloading').map(f => f.payload.progress);
		expect([...downloading].sort((a, b) => a - b)).toEqual(downloading);
		// The links ISOMan's page builds: download_link, download_link + '.' + checksum_type, origin + download_link.
		const row = await rowText(ui.page, alpineId);
		const filePath = 'alpine-standard/3.20.3/x86_64/alpine-standard-3.20.3-x86_64.iso';
		expect(row).toMatchObject({status: 'complete', progress: '100%', url: `${serving.url}/images/${filePath}`, error: ''});
		const hrefs = await ui.page.$$eval(`tr[data-id="${alpineId}"] td.links a`, links => links.map(a => a.getAttribute('href')));
		expect(hrefs).toEqual([`/images/${filePath}`, `/images/${filePath}.sha256`]);
		const file = await pageFetch(ui.page, hrefs[0]!);
		expect(file).toMatchObject({status: 200, sha256: alpineSha});
		expect(createHash('sha256').update(fs.readFileSync(path.join(lib.dir, 'images', filePath))).digest('hex')).toBe(alpineSha);
		const sidecar = await pageFetch(ui.page, hrefs[1]!);
		expect(sidecar.status).toBe(200);
		expect(sidecar.text.trim()).toBe(`${alpineSha}  alpine-standard-3.20.3-x86_64.iso`);
		expect(ui.errors).toEqual([]);
	});

	it('a download that fails shows failed and its reason; Edit sends only the new URL (as ISOMan does for a failed image) and it downloads', async () => {
		const created = await submit(ui, '#add-form', {name: 'fixed', version: '1.0', download_url: origin.url('/pub/gone-1.0-x86_64.iso')}, 'POST');
		expect(created.status).toBe(201);
		const id = created.json.data.id as string;
		await rowStatus(ui.page, id, 'failed');
		await ui.page.waitForFunction((i: string) => document.querySelector(`tr[data-id="${i}"] td.error`)?.textContent?.includes('403'), {}, id);
		expect(framesOf(ui, id).at(-1)!.payload.status).toBe('failed');
		await click(ui, id, 'edit');
		const edited = await submit(ui, '#edit-form', {download_url: origin.url('/pub/fixed-1.0-x86_64.iso')}, 'PUT');
		expect(edited.status).toBe(200);
		const put = apiSent(ui).filter(s => s.method === 'PUT').at(-1)!;
		expect(put).toMatchObject({path: `/api/isos/${id}`, contentType: 'application/json'});
		expect(JSON.parse(put.body!)).toEqual({download_url: origin.url('/pub/fixed-1.0-x86_64.iso')});
		await rowStatus(ui.page, id, 'complete');
		expect((await rowText(ui.page, id))['error']).toBe('');
	});

	it('Retry on a failed download posts no body with ISOMan\'s JSON content type and the download completes', async () => {
		const created = await submit(ui, '#add-form', {name: 'flaky', version: '2.0', download_url: origin.url('/pub/flaky-2.0-x86_64.iso')}, 'POST');
		const id = created.json.data.id as string;
		flakyId = id;
		await rowStatus(ui.page, id, 'failed');
		const retried = await click(ui, id, 'retry', 'POST');
		expect(retried?.status).toBe(200);
		expect(retried?.json.data.id).toBe(id);
		const post = apiSent(ui).filter(s => s.method === 'POST').at(-1)!;
		expect(post).toEqual({method: 'POST', path: `/api/isos/${id}/retry`, contentType: 'application/json', authorization: undefined, body: undefined});
		await rowStatus(ui.page, id, 'complete');
	});

	it('Edit on a complete image sends only the changed version: the file moves and the page\'s new links work, the old ones are gone', async () => {
		const before = await ui.page.$eval(`tr[data-id="${alpineId}"] a.download`, a => a.getAttribute('href')!);
		await click(ui, alpineId, 'edit');
		const edited = await submit(ui, '#edit-form', {version: '3.20.4'}, 'PUT');
		expect(edited.status).toBe(200);
		expect(JSON.parse(apiSent(ui).filter(s => s.method === 'PUT').at(-1)!.body!)).toEqual({version: '3.20.4'});
		await ui.page.waitForFunction((id: string) => document.querySelector(`tr[data-id="${id}"] td.version`)?.textContent === '3.20.4', {}, alpineId);
		const hrefs = await ui.page.$$eval(`tr[data-id="${alpineId}"] td.links a`, links => links.map(a => a.getAttribute('href')!));
		expect(hrefs[0]).toBe('/images/alpine-standard/3.20.4/x86_64/alpine-standard-3.20.4-x86_64.iso');
		expect(await pageFetch(ui.page, hrefs[0]!)).toMatchObject({status: 200, sha256: alpineSha});
		expect((await pageFetch(ui.page, hrefs[1]!)).text).toContain('alpine-standard-3.20.4-x86_64.iso');
		expect((await pageFetch(ui.page, before)).status).toBe(404);
		expect(ui.errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
		expect(fs.existsSync(path.join(lib.dir, 'images', 'alpine-standard', '3.20.3'))).toBe(false);
	});

	it('Delete sends DELETE with ISOMan\'s headers, gets its message, and the row goes', async () => {
		const flaky = flakyId;
		const deleted = await click(ui, flaky, 'delete', 'DELETE');
		expect(deleted).toEqual({status: 200, json: {success: true, message: 'Resource deleted successfully'}});
		expect(apiSent(ui).filter(s => s.method === 'DELETE')).toEqual([{method: 'DELETE', path: `/api/isos/${flaky}`, contentType: 'application/json', authorization: undefined, body: undefined}]);
		await ui.page.waitForFunction((i: string) => !document.querySelector(`tr[data-id="${i}"]`), {}, flaky);
		expect(await ui.page.$eval('#pagination', p => p.textContent)).toBe('page 1 of 1, 2 in all, 10 a page');
		expect(ui.errors).toEqual([]);
	});

	it('the API calls no page makes work from the page too: getISO by a prefix, getHealth', async () => {
		const iso = await ui.page.evaluate(async (prefix: string) => (window as any).isomanApi.getISO(prefix), alpineId.slice(0, 6));
		decodeGo(iso, ISO);
		expect(iso).toMatchObject({id: alpineId, version: '3.20.4', status: 'complete', progress: 100, edition: ''});
		const health = await ui.page.evaluate(async () => (window as any).isomanApi.getHealth());
		expect(health.status).toBe('ok');
		const [response, missing] = await Promise.all([
			ui.page.waitForResponse(r => r.url().endsWith('/api/isos/ffffffffffff')),
			ui.page.evaluate(async () => (window as any).isomanApi.getISO('ffffffffffff').then(() => 'found', (error: Error) => error.message)),
		]);
		expect(response.status()).toBe(404);
		expect(missing).toBe('ISO not found');
		// The browser logs the 404 itself; nothing else went wrong.
		expect(ui.errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
	});

	it('/stats straight from the address bar: index.html, then ISOMan\'s /api/stats and 30-day trends, showing the download the page made', async () => {
		// The page fetched the alpine file whole twice (before and after its move): two downloads, once the server has
		// written its counts (in batches, about every second).
		let stats: UiPage | undefined;
		await waitFor(
			async () => {
				await stats?.page.close();
				stats = await openUi(serving.url, '/stats');
				return (await stats.page.$eval('dd[data-key="total_downloads"]', dd => dd.textContent)) === '2';
			},
			{what: 'the download to be counted', intervalMs: 200},
		);
		expect(apiSent(stats!).map(s => `${s.method} ${s.path} ${s.contentType}`)).toEqual([
			'GET /api/stats application/json',
			'GET /api/stats/trends?period=daily&days=30 application/json',
		]);
		// The statistics page does not open the live connection (ISOMan's hook lives on the ISOs page).
		expect(stats!.wsUrls).toEqual([]);
		const shown = await stats!.page.$$eval('#stats dd', dds => Object.fromEntries(dds.map(dd => [(dd as HTMLElement).dataset.key, dd.textContent])));
		expect(shown).toMatchObject({total_isos: '2', completed_isos: '2', failed_isos: '0', pending_isos: '0', total_size_bytes: String(4 * MiB), bandwidth_saved: String(3 * MiB)});
		const trends = await stats!.page.$$eval('#trends li', lis => lis.map(li => li.textContent ?? ''));
		expect(trends).toHaveLength(30);
		const today = new Date().toISOString().slice(0, 10);
		expect(trends.at(-1)).toBe(`${today} 2`);
		expect(await stats!.page.$$eval('#top li', lis => lis.map(li => li.textContent))).toEqual(['alpine-standard 3.20.4 x86_64: 2']);
		// Back to the ISOs by the page's own link: the list and the live connection come back.
		await Promise.all([stats!.page.waitForSelector('body[data-ready="/"]'), stats!.page.click('nav a[data-route="/"]')]);
		await stats!.page.waitForFunction(() => document.querySelector('#ws-state')?.textContent === 'connected');
		expect(stats!.wsUrls).toEqual([`ws://127.0.0.1:${serving.port}/ws`]);
		expect(stats!.errors).toEqual([]);
		await stats!.page.close();
	});
});

describe.skipIf(!haveChromium)(title('ISOMan\'s web UI under --web-root with the default --auth changes'), () => {
	let lib: TempLibrary;
	let serving: Serving;

	beforeAll(async () => {
		lib = tempLibrary();
		serving = await serve(lib.dir, ['--web-root', FIXTURE]);
	});

	afterAll(async () => {
		await killChildren();
		lib?.cleanup();
	});

	it('reads and follows live as it is; a change (it sends no token) is refused with the reason on the page, and nothing is made', async () => {
		const ui = await openUi(serving.url);
		await ui.page.waitForFunction(() => document.querySelector('#ws-state')?.textContent === 'connected');
		const refused = await submit(ui, '#add-form', {name: 'alpine', version: '3.20.3', download_url: 'http://127.0.0.1:9/alpine-standard-3.20.3-x86_64.iso'}, 'POST');
		expect(refused.status).toBe(401);
		expect(refused.json.error.code).toBe('UNAUTHORIZED');
		await ui.page.waitForFunction(() => document.querySelector('#error')?.textContent !== '');
		expect(await ui.page.$eval('#error', p => p.textContent)).toBe(refused.json.error.message);
		expect(refused.json.error.message).toMatch(/Authorization: Bearer/);
		const list = (await (await fetch(`${serving.url}/api/isos`)).json()) as {data: {pagination: {total: number}}};
		expect(list.data.pagination.total).toBe(0);
		await ui.page.close();
	});
});
