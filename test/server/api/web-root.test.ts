/** --web-root: files as they are, index.html for other paths, the app's CSP, and nothing outside the directory. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {WEB_CSP} from '../../../source/server/api/web-root.js';
import {startApi, type ApiHarness} from './helpers.js';

let h: ApiHarness;
let root: string;
let outside: string;
beforeEach(async () => {
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-web-'));
	outside = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-outside-'));
	fs.mkdirSync(path.join(root, 'static', 'js'), {recursive: true});
	fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title><script src="/static/js/main.js"></script>');
	fs.writeFileSync(path.join(root, 'static', 'js', 'main.js'), 'console.log(1)');
	fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg/>');
	fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
	fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
	fs.symlinkSync(outside, path.join(root, 'linkdir'));
	h = await startApi({webRoot: root});
});
afterEach(async () => {
	await h.close();
	fs.rmSync(root, {recursive: true, force: true});
	fs.rmSync(outside, {recursive: true, force: true});
});

describe('--web-root', () => {
	it('serves files with their types and the CSP; any other path gets index.html (client-side routes)', async () => {
		const js = await fetch(`${h.origin}/static/js/main.js`);
		expect(js.status).toBe(200);
		expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
		expect(js.headers.get('content-security-policy')).toBe(WEB_CSP);
		expect(await js.text()).toBe('console.log(1)');
		expect((await fetch(`${h.origin}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
		for (const route of ['/', '/stats', '/isos/abc', '/no/such/file.js']) {
			const page = await fetch(h.origin + route);
			expect(page.status, route).toBe(200);
			expect(await page.text(), route).toContain('<title>app</title>');
		}
	});

	it('never leaves the directory: symlinks and encoded traversal get index.html, not the file', async () => {
		for (const route of ['/link.txt', '/linkdir/secret.txt', '/%2e%2e/secret.txt', '/static/..%2f..%2fsecret.txt', '/static%5c..%5csecret.txt']) {
			const res = await fetch(h.origin + route);
			expect(await res.text(), route).not.toContain('secret');
		}
	});

	it('leaves /api/, /images/, /health and /ws alone, and answers only GET and HEAD', async () => {
		expect((await h.call('GET', '/api/isos')).json.success).toBe(true);
		expect((await fetch(`${h.origin}/images/x`)).status).toBe(404);
		expect(await (await fetch(`${h.origin}/health`)).text()).not.toContain('<title>app</title>');
		expect((await fetch(`${h.origin}/anything`, {method: 'POST'})).status).toBe(404);
		const head = await fetch(`${h.origin}/`, {method: 'HEAD'});
		expect(head.status).toBe(200);
		expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
	});
});
