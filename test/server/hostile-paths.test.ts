/**
 * Nothing but complete images and their sidecars is reachable, through raw sockets (no client normalises the
 * path): not the catalogue, not `.tmp/` or a `.part`, not a file no complete row owns, not a pending row's file,
 * not through a symlink (as the file or as a directory on the way), never outside images/, whatever the spelling.
 * Then hundreds of generated hostile paths (fast-check): none returns a byte of anything not servable.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {loadConfig} from '../../source/config.js';
import {silentLogger} from '../../source/core/log.js';
import {Manager} from '../../source/core/manager.js';
import type {Image} from '../../source/core/types.js';
import {killChildren} from '../cli/helpers.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages, logRecords, rawGet, rawRequest, serve, type Serving} from './helpers.js';

const KiB = 1024;

let lib: TempLibrary;
let origin: TestServer;
let serving: Serving;
let good: Image;
let linkedDir: Image;
let linkedFile: Image;
let pending: Image;
/** Every byte sequence the server may send: the servable files. */
let servable: Buffer[];
const markers: Record<string, string> = {};

function plant(file: string, marker: string): void {
	fs.mkdirSync(path.dirname(file), {recursive: true});
	markers[file] = marker;
	fs.writeFileSync(file, `${marker}\n`.repeat(4));
}

/** The body must not hold any planted marker nor the catalogue's header. */
function expectNothingSecret(body: Buffer, what: string): void {
	for (const marker of Object.values(markers)) expect(body.includes(marker), `${what} leaked ${marker}`).toBe(false);
	expect(body.includes('SQLite format 3'), `${what} leaked the catalogue`).toBe(false);
}

beforeAll(async () => {
	lib = tempLibrary();
	origin = await startTestServer();
	[good, linkedDir, linkedFile] = (await completeImages(lib.dir, origin, [
		{path: '/pub/alpine-standard-3.20.3-x86_64.iso', size: 64 * KiB, seed: 1},
		{path: '/pub/debian-12.5.0-amd64-netinst.iso', size: 48 * KiB, seed: 2},
		{path: '/pub/rocky-9.5-x86_64.iso', size: 40 * KiB, seed: 3},
	])) as [Image, Image, Image];
	const images = lib.config.imagesDir;
	servable = [];
	for (const image of [good]) {
		servable.push(fs.readFileSync(path.join(images, image.filePath)), fs.readFileSync(path.join(images, `${image.filePath}.sha256`)));
	}

	// A row that is not complete, with a file planted at its final path, and a .part of another.
	const config = loadConfig({dataDir: lib.dir}, {});
	const manager = new Manager({config, log: silentLogger});
	pending = manager.addNow({url: origin.url('/pub/fedora-40-x86_64.iso'), name: 'fedora', version: '40'});
	await manager.pause(pending.id);
	await manager.close();
	// Planted once the daemon runs (its recovery at start would otherwise deal with them first).
	serving = await serve(lib.dir);
	plant(path.join(images, pending.filePath), 'PENDING-FILE-7f3a');
	plant(path.join(images, '.tmp', `${pending.id}.part`), 'PART-BYTES-91c2');
	// Files no row owns, inside and outside images/.
	plant(path.join(images, 'foreign', '1', 'x86_64', 'foreign-1-x86_64.iso'), 'FOREIGN-FILE-22d1');
	plant(path.join(images, 'alpine-standard', 'stray.iso'), 'STRAY-FILE-55aa');
	plant(path.join(lib.dir, 'secret.txt'), 'DATA-DIR-SECRET-0b1e');
	plant(path.join(path.dirname(lib.dir), `${path.basename(lib.dir)}-outside`, 'secret.txt'), 'OUTSIDE-SECRET-c4d9');
	// Symlinks: a link file at a name no row owns; a complete image's directory swapped for a link to a copy;
	// a complete image's file swapped for a link to a copy.
	fs.symlinkSync(path.join(lib.dir, 'secret.txt'), path.join(images, 'link.iso'));
	const dirOfLinked = path.join(images, path.dirname(linkedDir.filePath));
	const copy = path.join(lib.dir, 'copy-of-dir');
	fs.cpSync(dirOfLinked, copy, {recursive: true});
	plant(path.join(copy, 'planted.iso'), 'VIA-LINKED-DIR-e00f');
	fs.rmSync(dirOfLinked, {recursive: true});
	fs.symlinkSync(copy, dirOfLinked);
	const fileOfLinked = path.join(images, linkedFile.filePath);
	const fileCopy = path.join(lib.dir, 'copy-of-file.iso');
	fs.copyFileSync(fileOfLinked, fileCopy);
	fs.rmSync(fileOfLinked);
	fs.symlinkSync(fileCopy, fileOfLinked);
});

afterAll(async () => {
	await killChildren();
	await origin?.close();
	lib?.cleanup();
	fs.rmSync(`${lib.dir}-outside`, {recursive: true, force: true});
});

describe('nothing else is reachable', () => {
	it('serves the complete image and its sidecar (the control)', async () => {
		const image = await rawRequest(serving.port, rawGet(`/images/${good.filePath}`));
		expect(image.status).toBe(200);
		expect(image.body.equals(servable[0]!)).toBe(true);
		const sidecar = await rawRequest(serving.port, rawGet(`/images/${good.filePath}.sha256`));
		expect(sidecar.status).toBe(200);
	});

	it.each([
		['the catalogue via ..', () => '/images/../isoman.db'],
		['the catalogue at the root', () => '/isoman.db'],
		['%2e%2e', () => '/images/%2e%2e/isoman.db'],
		['%2E%2E', () => '/images/%2E%2E/isoman.db'],
		['.%2e', () => '/images/.%2e/isoman.db'],
		['double encoding', () => '/images/%252e%252e/isoman.db'],
		['encoded slash', () => '/images/..%2fisoman.db'],
		['encoded slash, upper case', () => '/images/..%2Fisoman.db'],
		['encoded backslash', () => '/images/..%5cisoman.db'],
		['raw backslash', () => '/images/..\\isoman.db'],
		['deep ..', () => `/images/${good.filePath}/../../../../../isoman.db`],
		['.. far outside', () => '/images/../../../../../../etc/passwd'],
		['overlong UTF-8 dot', () => '/images/%c0%ae%c0%ae/isoman.db'],
		['broken escape', () => '/images/%zz/isoman.db'],
		['truncated escape', () => '/images/%2'],
		['NUL', () => '/images/%00'],
		['NUL before a sidecar suffix', () => `/images/${good.filePath}%00.sha256`],
		['empty segment', () => '/images//etc/passwd'],
		['empty segment inside', () => `/images/${good.filePath.replace('/', '//')}`],
		['dot segment', () => `/images/./${good.filePath}`],
		['the temp dir', () => '/images/.tmp/'],
		['a .part', () => `/images/.tmp/${pending.id}.part`],
		['a pending row file', () => `/images/${pending.filePath}`],
		['a foreign file', () => '/images/foreign/1/x86_64/foreign-1-x86_64.iso'],
		['a foreign directory', () => '/images/foreign/'],
		['a stray file beside an image', () => '/images/alpine-standard/stray.iso'],
		['a symlink no row owns', () => '/images/link.iso'],
		['a complete image through a symlinked directory', () => `/images/${linkedDir.filePath}`],
		['a planted file in a symlinked directory', () => `/images/${path.dirname(linkedDir.filePath)}/planted.iso`],
		['a complete image that is a symlink', () => `/images/${linkedFile.filePath}`],
		['its sidecar beside the link', () => `/images/${linkedFile.filePath}.sha256x`],
		['a file as a directory', () => `/images/${good.filePath}/`],
		['a fragment', () => `/images/${good.filePath}#x`],
		['the data dir secret', () => '/images/../secret.txt'],
		['absolute-form target', () => 'http://127.0.0.1/images/../isoman.db'],
		['asterisk-form target', () => '*'],
		['fullwidth dots', () => '/images/%ef%bc%8e%ef%bc%8e/isoman.db'],
	] as Array<[string, () => string]>)('%s → 400/404, not a byte of a file', async (_what, makeTarget) => {
		const target = makeTarget();
		const response = await rawRequest(serving.port, rawGet(target));
		expect([400, 404], `${target}: ${response.statusLine}`).toContain(response.status);
		expect(response.headers['x-content-type-options'] ?? 'nosniff').toBe('nosniff');
		expectNothingSecret(response.raw, target);
	});

	it('a complete row reached through a symlink is refused because of the link (and the log says so)', async () => {
		for (const image of [linkedDir, linkedFile]) {
			const response = await rawRequest(serving.port, rawGet(`/images/${image.filePath}`));
			expect(response.status).toBe(404);
		}

		const refused = logRecords(lib.dir).filter(r => r['event'] === 'http.refused');
		expect(refused.map(r => r['id'])).toEqual(expect.arrayContaining([linkedDir.id, linkedFile.id]));
		expect(refused.every(r => /symlink/.test(String(r['reason'])))).toBe(true);
	});

	it('raw control characters and bare CR/LF tricks in the target are refused', async () => {
		for (const target of ['/images/\u0001', '/images/a\tb', `/images/${good.filePath}\u007f`]) {
			const response = await rawRequest(serving.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
			expect([400, 404], JSON.stringify(target)).toContain(response.status);
			expectNothingSecret(response.raw, target);
		}
	});

	it('the index lists no directory or file that is not servable', async () => {
		const root = (await (await fetch(`${serving.url}/images/`, {headers: {Accept: 'application/json'}})).json()) as {entries: Array<{name: string}>};
		expect(root.entries.map(e => e.name).sort()).toEqual(['alpine-standard', 'debian', 'rocky']);
		const listing = (await (await fetch(`${serving.url}/images/alpine-standard/3.20.3/x86_64/`, {headers: {Accept: 'application/json'}})).json()) as {entries: Array<{name: string}>};
		expect(listing.entries.map(e => e.name)).toEqual([good.filename, `${good.filename}.sha256`]);
		// The symlinked directory and file are not listed.
		const debian = await fetch(`${serving.url}/images/${path.dirname(linkedDir.filePath)}/`, {headers: {Accept: 'application/json'}});
		const entries = debian.status === 200 ? ((await debian.json()) as {entries: unknown[]}).entries : [];
		expect(entries).toEqual([]);
		const rockyDir = (await (await fetch(`${serving.url}/images/${path.dirname(linkedFile.filePath)}/`, {headers: {Accept: 'application/json'}})).json()) as {entries: Array<{name: string}>};
		expect(rockyDir.entries.map(e => e.name)).not.toContain(linkedFile.filename);
	});
});

describe('generated hostile paths (property)', () => {
	const pieces = () => {
		const parts = good.filePath.split('/');
		return [
			'..',
			'.',
			'%2e%2e',
			'%2E.',
			'%2e',
			'%252e%252e',
			'%2f',
			'%2F',
			'%5c',
			'\\',
			'%00',
			'%',
			'%c0%ae',
			'isoman.db',
			'isoman.db-wal',
			'.tmp',
			`${pending.id}.part`,
			'secret.txt',
			'link.iso',
			'foreign',
			'stray.iso',
			'planted.iso',
			'copy-of-dir',
			`${path.basename(lib.dir)}-outside`,
			'images',
			'',
			';',
			'%3f',
			'%23',
			...parts,
			...pending.filePath.split('/'),
			...linkedDir.filePath.split('/'),
			`${good.filename}.sha256`,
			`${good.filename}%00`,
		];
	};

	it('none of 400 generated paths returns a byte of anything not servable', async () => {
		const segment = fc.oneof(
			fc.constantFrom(...pieces()),
			fc.array(fc.constantFrom(...pieces()), {minLength: 1, maxLength: 3}).map(a => a.join('')),
			fc.string({maxLength: 6}).map(s => encodeURIComponent(s)),
		);
		const target = fc.tuple(fc.constantFrom('/images/', '/', '/images', '/images/./', '//'), fc.array(segment, {minLength: 0, maxLength: 8}), fc.constantFrom('/', '%2f', '%5c', '\\', '/./')).map(
			([prefix, segments, sep]) => prefix + segments.join(sep),
		);
		let served = 0;
		await fc.assert(
			fc.asyncProperty(target, async t => {
				const response = await rawRequest(serving.port, rawGet(t.replaceAll(' ', '%20')));
				expectNothingSecret(response.raw, t);
				if (response.status === 200 || response.status === 206) {
					served++;
					// A body is either an index page or exactly a servable file.
					const html = (response.headers['content-type'] ?? '').startsWith('text/html') || (response.headers['content-type'] ?? '').startsWith('application/json');
					expect(html || servable.some(file => file.equals(response.body)), `${t} sent ${response.body.length} bytes of something`).toBe(true);
				} else {
					expect([301, 400, 404, 405], `${t}: ${response.statusLine}`).toContain(response.status);
				}
			}),
			{numRuns: 400, seed: 13},
		);
		// The generator reaches real files too (the property is not vacuous).
		expect(served).toBeGreaterThan(0);
	});
});
