/// <reference lib="dom" />
/**
 * The HTML index pages in a real headless browser (Debian's chromium through puppeteer-core), served by the real
 * daemon: at 1280 px and at 360 px wide the page renders without sideways scrolling, asks nothing from elsewhere,
 * runs no script, lists directories first, shows sizes, UTC times and verification, and its links lead to the
 * files (the bytes fetched through them are the bytes on disk). Skipped, saying why, when chromium is absent.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, {type Browser, type Page} from 'puppeteer-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Image} from '../../source/core/types.js';
import {killChildren} from '../cli/helpers.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, serve, type Serving} from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const KiB = 1024;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let browser: Browser;
let verified: Image;
let unverified: Image;

const title = haveChromium ? 'the index page in headless chromium' : `the index page in headless chromium (SKIPPED: ${CHROMIUM} is not installed; apt-get install chromium)`;

describe.skipIf(!haveChromium)(title, () => {
	beforeAll(async () => {
		lib = tempLibrary();
		origin = await startTestServer();
		[verified, unverified] = (await completeImages(lib.dir, origin, [
			{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 1536 * KiB + 5, seed: 1},
			{path: '/pub/debian-12.5.0-amd64-netinst.iso', size: 700 * KiB, seed: 2, verified: false},
			{path: '/pub/debian-12.6.0-amd64-netinst.iso', size: 40 * KiB, seed: 3},
		])) as [Image, Image, Image];
		serving = await serve(lib.dir);
		browser = await puppeteer.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
	});

	afterAll(async () => {
		await browser?.close();
		await killChildren();
		await origin?.close();
		lib?.cleanup();
	});

	/** A page that records every request it makes and every script or console error. */
	async function open(width: number, url: string): Promise<{page: Page; requests: string[]; errors: string[]}> {
		const page = await browser.newPage();
		await page.setViewport({width, height: 800});
		const requests: string[] = [];
		const errors: string[] = [];
		page.on('request', request => requests.push(request.url()));
		page.on('pageerror', error => errors.push(String(error)));
		page.on('console', message => {
			if (message.type() === 'error') errors.push(message.text());
		});
		const response = await page.goto(url, {waitUntil: 'load'});
		expect(response?.status()).toBe(200);
		expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
		return {page, requests, errors};
	}

	async function noSidewaysScroll(page: Page, width: number): Promise<void> {
		const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
		expect(scrollWidth, `the page is ${scrollWidth} px wide in a ${width} px window`).toBeLessThanOrEqual(width);
	}

	for (const width of [1280, 360]) {
		it(`at ${width} px: the root lists the directories; following links reaches an image row with its URL, size and checksum`, async () => {
			const {page, requests, errors} = await open(width, `${serving.url}/images/`);
			expect(await page.title()).toBe('Index of /images/');
			const names = await page.$$eval('tbody tr.dir a', links => links.map(a => a.textContent));
			expect(names).toEqual(['alpine-standard/', 'debian/']);
			await noSidewaysScroll(page, width);
			// Down to the image's directory by clicking, as a person would.
			for (const segment of path.dirname(verified.filePath).split('/')) {
				await Promise.all([page.waitForNavigation(), page.click(`tbody tr.dir a[href$="/${segment}/"]`)]);
				await noSidewaysScroll(page, width);
			}

			expect(page.url()).toBe(`${serving.url}/images/${path.dirname(verified.filePath)}/`);
			expect(await page.$eval('tr.parent a', a => a.getAttribute('href'))).toBe('../');
			const row = await page.$eval('tbody tr.file', tr => ({
				name: tr.querySelector('td.name a')?.textContent,
				href: (tr.querySelector('td.name a') as HTMLAnchorElement).href,
				url: (tr.querySelector('input.url') as HTMLInputElement).value,
				size: tr.querySelector('td.size')?.textContent,
				exact: tr.querySelector('td.size')?.getAttribute('title'),
				time: tr.querySelector('td.time')?.textContent,
				sum: tr.querySelector('td.sum')?.textContent,
			}));
			expect(row).toMatchObject({
				name: verified.filename,
				href: `${serving.url}/images/${verified.filePath}`,
				url: `${serving.url}/images/${verified.filePath}`,
				size: '1.50 MiB',
				exact: `${verified.sizeBytes} bytes`,
			});
			expect(row.time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
			expect(row.sum).toContain('sha256 verified');
			expect(row.sum).toContain(verified.checksum);
			// The image's name and URL box are inside the window.
			const box = await page.$eval('tbody tr.file input.url', input => input.getBoundingClientRect().right);
			expect(box).toBeLessThanOrEqual(width);
			expect(errors).toEqual([]);
			expect(requests.every(url => url.startsWith(serving.url)), requests.join('\n')).toBe(true);
			await page.close();
		});
	}

	it('every link on a page leads to the file: the bytes fetched through it are the bytes on disk', async () => {
		const page = await browser.newPage();
		// The page's own policy forbids fetch() (connect-src 'none'); the test lifts it to fetch through the links.
		await page.setBypassCSP(true);
		await page.goto(`${serving.url}/images/${path.dirname(verified.filePath)}/`);
		const hrefs = await page.$$eval('tbody tr.file td.name a', links => links.map(a => (a as HTMLAnchorElement).href));
		expect(hrefs).toEqual([`${serving.url}/images/${verified.filePath}`, `${serving.url}/images/${verified.filePath}.sha256`]);
		// Fetched by the page itself (same origin), hashed in the page.
		const digests = await page.evaluate(async (urls: string[]) => {
			const out: string[] = [];
			for (const url of urls) {
				const bytes = await (await fetch(url)).arrayBuffer();
				const digest = await crypto.subtle.digest('SHA-256', bytes);
				out.push([...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join(''));
			}

			return out;
		}, hrefs);
		const onDisk = (relative: string) => createHash('sha256').update(fs.readFileSync(path.join(lib.dir, 'images', relative))).digest('hex');
		expect(digests).toEqual([onDisk(verified.filePath), onDisk(`${verified.filePath}.sha256`)]);
		expect(digests[0]).toBe(verified.checksum);
		// Clicking the sidecar shows the checksum line.
		await Promise.all([page.waitForNavigation(), page.click('tbody tr.file td.name a[href$=".sha256"]')]);
		expect(await page.evaluate(() => document.body.innerText.trim())).toBe(`${verified.checksum}  ${verified.filename}`);
		await page.close();
	});

	it('an unverified image says so; the page works with JavaScript off (it has none)', async () => {
		const page = await browser.newPage();
		await page.setJavaScriptEnabled(false);
		await page.setViewport({width: 360, height: 700});
		await page.goto(`${serving.url}/images/${path.dirname(unverified.filePath)}/`);
		const text = await page.$eval('tbody tr.file td.sum', td => td.textContent ?? '');
		expect(text).toContain('unverified');
		expect(await page.$$eval('script', s => s.length)).toBe(0);
		await noSidewaysScroll(page, 360);
		await page.close();
	});
});
