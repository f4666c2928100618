import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startHarness, MiB, type Harness} from '../support/harness.js';

let h: Harness;
afterEach(async () => h?.close());

const haveSha256sum = spawnSync('sha256sum', ['--version']).status === 0;

async function serveImage(path: string, seed: number, size = 4 * MiB): Promise<string> {
	return h.server.serve(path, {kind: 'generated', size, seed, fileType: 'iso'});
}

const text = (s: string) => ({kind: 'buffer' as const, data: Buffer.from(s)});

function sidecarCheck(image: {filePath: string; filename: string}, tool = 'sha256sum', ext = 'sha256'): void {
	const dir = path.join(h.lib.config.imagesDir, path.dirname(image.filePath));
	expect(fs.existsSync(path.join(dir, `${image.filename}.${ext}`))).toBe(true);
	if (!haveSha256sum) {
		console.info(`skipped ${tool} -c: not installed`);
		return;
	}

	expect(execFileSync(tool, ['-c', `${image.filename}.${ext}`], {cwd: dir, encoding: 'utf8'})).toContain(`${image.filename}: OK`);
}

describe('manager: verification against checksum sources', () => {
	it('verifies through GNU, BSD, clear-signed, bare-digest files and a literal digest; sidecars pass sha256sum -c', async () => {
		h = await startHarness();
		const {server, manager} = h;
		const shaA = await serveImage('/gnu/alpine-standard-3.20.3-x86_64.iso', 1);
		await server.serve('/gnu/SHA256SUMS', text(`# comment\n${'0'.repeat(64)}  alpine-standard-3.20.3-x86_64.iso.zsync\n${shaA}  alpine-standard-3.20.3-x86_64.iso\n`));
		const shaB = await serveImage('/bsd/FreeBSD-14.1-RELEASE-amd64-disc1.iso', 2);
		await server.serve('/bsd/CHECKSUM.SHA256', text(`SHA256 (FreeBSD-14.1-RELEASE-amd64-bootonly.iso) = ${'1'.repeat(64)}\r\nSHA256 (FreeBSD-14.1-RELEASE-amd64-disc1.iso) = ${shaB}\r\n`));
		const shaC = await serveImage('/f/Fedora-Server-netinst-x86_64-41-1.4.iso', 3);
		await server.serve(
			'/f/Fedora-Server-41-1.4-x86_64-CHECKSUM',
			text(`-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# Fedora-Server-netinst-x86_64-41-1.4.iso: ${4 * MiB} bytes\nSHA256 (Fedora-Server-netinst-x86_64-41-1.4.iso) = ${shaC}\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n`),
		);
		const shaD = await serveImage('/bare/rocky-9.4-x86_64-minimal.iso', 4);
		const md5D = createHash('md5').update(fs.readFileSync(await materialise('/bare/rocky-9.4-x86_64-minimal.iso'))).digest('hex');
		await server.serve('/bare/rocky-9.4-x86_64-minimal.iso.md5', text(`${md5D}\n`));
		const shaE = await serveImage('/lit/debian-12.7.0-amd64-netinst.iso', 5);

		const a = manager.addNow({url: server.url('/gnu/alpine-standard-3.20.3-x86_64.iso'), checksumUrl: server.url('/gnu/SHA256SUMS')});
		const b = manager.addNow({url: server.url('/bsd/FreeBSD-14.1-RELEASE-amd64-disc1.iso'), checksumUrl: server.url('/bsd/CHECKSUM.SHA256')});
		const c = manager.addNow({url: server.url('/f/Fedora-Server-netinst-x86_64-41-1.4.iso'), checksumUrl: server.url('/f/Fedora-Server-41-1.4-x86_64-CHECKSUM')});
		const d = manager.addNow({url: server.url('/bare/rocky-9.4-x86_64-minimal.iso'), checksumUrl: server.url('/bare/rocky-9.4-x86_64-minimal.iso.md5')});
		const e = manager.addNow({url: server.url('/lit/debian-12.7.0-amd64-netinst.iso'), checksum: `sha256:${shaE.toUpperCase()}`});
		manager.start();
		const expectations = [
			[a, 'sha256', shaA],
			[b, 'sha256', shaB],
			[c, 'sha256', shaC],
			[d, 'md5', md5D],
			[e, 'sha256', shaE],
		] as const;
		for (const [added, alg, digest] of expectations) {
			const done = await h.until(added.id, 'complete', 'failed');
			expect(done.status, done.errorMessage ?? '').toBe('complete');
			expect(done.checksumType).toBe(alg);
			expect(done.expectedChecksum).toBe(digest);
			expect(done.checksum).toBe(digest);
		}

		expect(manager.get(c.id)!.sizeBytes).toBe(4 * MiB);
		for (const image of [a, b, c, e]) sidecarCheck(manager.get(image.id)!);
		sidecarCheck(manager.get(d.id)!, 'md5sum', 'md5');
		expect(shaD).toMatch(/^[0-9a-f]{64}$/);
	});

	it('a wrong digest fails checksum_mismatch with both digests and leaves nothing under images/', async () => {
		h = await startHarness();
		const sha = await serveImage('/w/alpine-standard-3.20.3-x86_64.iso', 9);
		const wrong = 'ab'.repeat(32);
		const {id} = h.manager.addNow({url: h.server.url('/w/alpine-standard-3.20.3-x86_64.iso'), checksum: wrong});
		h.manager.start();
		const image = await h.until(id, 'failed', 'complete');
		expect(image.errorCode).toBe('checksum_mismatch');
		expect(image.errorMessage).toContain(wrong);
		expect(image.errorMessage).toContain(sha);
		expect(h.imageFiles()).toEqual([]);
		expect(h.tmpFiles()).toEqual([]);
	});

	it('a 404 checksum URL fails before the image is requested', async () => {
		h = await startHarness();
		await serveImage('/n/alpine-standard-3.20.3-x86_64.iso', 9);
		const {id} = h.manager.addNow({url: h.server.url('/n/alpine-standard-3.20.3-x86_64.iso'), checksumUrl: h.server.url('/n/SHA256SUMS')});
		h.manager.start();
		const image = await h.until(id, 'failed', 'complete');
		expect(image.errorCode).toBe('http_status');
		expect(image.errorMessage).toContain('404');
		expect(h.server.requestsFor('/n/alpine-standard-3.20.3-x86_64.iso')).toHaveLength(0);
	});

	it('a checksum file that does not list the image fails fast, naming what it lists', async () => {
		h = await startHarness();
		await serveImage('/x/alpine-standard-3.20.3-x86_64.iso', 9);
		await h.server.serve('/x/SHA256SUMS', text(`${'0'.repeat(64)}  debian-edu-alpine-standard-3.20.3-x86_64.iso\n`));
		const {id} = h.manager.addNow({url: h.server.url('/x/alpine-standard-3.20.3-x86_64.iso'), checksumUrl: h.server.url('/x/SHA256SUMS')});
		h.manager.start();
		const image = await h.until(id, 'failed', 'complete');
		expect(image.errorCode).toBe('checksum_source');
		expect(image.errorMessage).toContain('no entry for alpine-standard-3.20.3-x86_64.iso');
		expect(image.errorMessage).toContain('debian-edu-alpine-standard-3.20.3-x86_64.iso');
		// At most a HEAD to learn the name after redirects; no image bytes moved.
		expect(h.server.requestsFor('/x/alpine-standard-3.20.3-x86_64.iso').filter(r => r.method === 'GET')).toHaveLength(0);
	});

	it('selects by the file name after redirects when the URL name is not listed', async () => {
		h = await startHarness();
		const sha = await serveImage('/r/alpine-standard-3.20.3-x86_64.iso', 11);
		await h.server.serve('/r/latest-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/r/alpine-standard-3.20.3-x86_64.iso'});
		await h.server.serve('/r/SHA256SUMS', text(`${sha}  alpine-standard-3.20.3-x86_64.iso\n`));
		const {id} = h.manager.addNow({url: h.server.url('/r/latest-x86_64.iso'), name: 'alpine', version: '3.20.3', checksumUrl: h.server.url('/r/SHA256SUMS')});
		h.manager.start();
		const image = await h.until(id, 'complete', 'failed');
		expect(image.status, image.errorMessage ?? '').toBe('complete');
		expect(image.expectedChecksum).toBe(sha);
	});

	it('without a checksum the sha256 is still recorded and the image is unverified', async () => {
		h = await startHarness();
		const sha = await serveImage('/u/alpine-standard-3.20.3-x86_64.iso', 12);
		const {id} = h.manager.addNow({url: h.server.url('/u/alpine-standard-3.20.3-x86_64.iso')});
		h.manager.start();
		const image = await h.until(id, 'complete', 'failed');
		expect(image).toMatchObject({status: 'complete', checksum: sha, checksumType: 'sha256', expectedChecksum: null});
		sidecarCheck(image);
	});

	it('re-verify: a flipped byte → failed corrupt (file kept), a deleted file → missing, the others stay complete', async () => {
		h = await startHarness();
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) {
			const sha = await serveImage(`/v/os${i}-1.0-x86_64.iso`, 20 + i);
			ids.push(h.manager.addNow({url: h.server.url(`/v/os${i}-1.0-x86_64.iso`), checksum: sha}).id);
		}

		h.manager.start();
		for (const id of ids) await h.until(id, 'complete');
		const file = (id: string) => path.join(h.lib.config.imagesDir, h.manager.get(id)!.filePath);
		const fd = fs.openSync(file(ids[0]!), 'r+');
		const byte = Buffer.alloc(1);
		fs.readSync(fd, byte, 0, 1, 1_000_000);
		byte[0] = byte[0]! ^ 0xff;
		fs.writeSync(fd, byte, 0, 1, 1_000_000);
		fs.closeSync(fd);
		const keep = file(ids[1]!);
		fs.rmSync(keep);

		const results = await h.manager.verify();
		expect(results.map(r => [r.id, r.outcome])).toEqual([
			[ids[0], 'corrupt'],
			[ids[1], 'missing'],
			[ids[2], 'ok'],
		].sort((x, y) => (h.manager.get(x[0]!)!.createdAt < h.manager.get(y[0]!)!.createdAt ? -1 : 1)));
		expect(h.manager.get(ids[0]!)).toMatchObject({status: 'failed', errorCode: 'corrupt'});
		expect(fs.existsSync(file(ids[0]!))).toBe(true);
		expect(h.manager.get(ids[1]!)!.status).toBe('missing');
		expect(h.manager.get(ids[2]!)!.status).toBe('complete');
		expect(h.manager.events(ids[2]!, 1)[0]!.kind).toBe('verified');
		expect(h.manager.events(ids[0]!, 1)[0]!.kind).toBe('failed');

		// Retry of the corrupt one downloads it again and it verifies.
		await h.manager.retry(ids[0]!);
		expect((await h.until(ids[0]!, 'complete', 'failed')).status).toBe('complete');
	});

	it('re-verify reports progress and can be cancelled through its signal', async () => {
		// Progress events 5 ms apart: a 256 MiB check takes ~150 ms on a quiet machine, within one 100 ms throttle
		// window of the download's last event, and would otherwise end before its first event.
		h = await startHarness({}, {progressIntervalMs: 5});
		const sha = await serveImage('/big/os-1.0-x86_64.iso', 30, 256 * MiB);
		const {id} = h.manager.addNow({url: h.server.url('/big/os-1.0-x86_64.iso'), checksum: sha});
		h.manager.start();
		await h.until(id, 'complete');
		const progressSeen: number[] = [];
		h.manager.on('progress', all => {
			for (const p of all) if (p.phase === 'verifying') progressSeen.push(p.downloaded);
		});
		await expect(h.manager.verify([id])).resolves.toEqual([{id, outcome: 'ok'}]);
		expect(progressSeen.length).toBeGreaterThan(0);
		expect(progressSeen.every(n => n > 0 && n <= 256 * MiB)).toBe(true);
		const controller = new AbortController();
		controller.abort(new Error('stop'));
		await expect(h.manager.verify(undefined, controller.signal)).resolves.toEqual([]);
		const running = h.manager.verify([id], AbortSignal.timeout(1));
		await expect(running).rejects.toThrow();
		expect(h.manager.get(id)!.status).toBe('complete');
	});
});

/** Write the server's bytes for a path to a temp file (for digests other than the server's sha256). */
async function materialise(urlPath: string): Promise<string> {
	const response = await fetch(h.server.url(urlPath));
	const file = path.join(h.lib.dir, 'materialised');
	fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
	h.server.resetStats();
	return file;
}

describe('manager: a file already at its final path', () => {
	it('is adopted without a download when it verifies, and kept (image failed) when it does not', async () => {
		h = await startHarness();
		const sha = await serveImage('/ad/os-1.0-x86_64.iso', 40);
		const bytes = Buffer.from(await (await fetch(h.server.url('/ad/os-1.0-x86_64.iso'))).arrayBuffer());
		h.server.resetStats();
		const good = h.manager.addNow({url: h.server.url('/ad/os-1.0-x86_64.iso'), checksum: sha});
		const goodPath = path.join(h.lib.config.imagesDir, good.filePath);
		fs.mkdirSync(path.dirname(goodPath), {recursive: true});
		fs.writeFileSync(goodPath, bytes);
		const other = await serveImage('/ad/other-2.0-x86_64.iso', 41);
		const bad = h.manager.addNow({url: h.server.url('/ad/other-2.0-x86_64.iso'), checksum: other});
		const badPath = path.join(h.lib.config.imagesDir, bad.filePath);
		fs.mkdirSync(path.dirname(badPath), {recursive: true});
		fs.writeFileSync(badPath, 'not the image');
		h.manager.start();
		expect(await h.until(good.id, 'complete', 'failed')).toMatchObject({status: 'complete', checksum: sha});
		expect(h.manager.events(good.id, 1)[0]!.detail).toBe('adopted the existing file');
		expect(h.server.requestsFor('/ad/os-1.0-x86_64.iso').filter(r => r.method === 'GET')).toHaveLength(0);
		const failed = await h.until(bad.id, 'failed', 'complete');
		expect(failed.errorMessage).toContain('a different file already exists');
		expect(fs.readFileSync(badPath, 'utf8')).toBe('not the image');
	});
});
