/**
 * Edit: every state × every field, on a real catalogue and real files. Complete images move (file and sidecar,
 * empty directories removed); failed and paused images take new sources and are queued again; the other states
 * are refused with the reason and nothing changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {ValidationError} from '../../source/core/add-input.js';
import {DuplicateImageError} from '../../source/core/catalogue/repository.js';
import type {EditPatch} from '../../source/core/edit.js';
import {IsomanError, type Image, type Status} from '../../source/core/types.js';
import {startHarness, type Harness} from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
	h = await startHarness();
});
afterEach(async () => {
	await h.close();
});

const KiB = 1024;
const SHA = 'a'.repeat(64);

const FIELDS: Array<[string, (n: number) => EditPatch, 'identity' | 'sources']> = [
	['name', n => ({name: `Renamed ${n}`}), 'identity'],
	['version', n => ({version: `9.${n}`}), 'identity'],
	['arch', () => ({arch: 'aarch64'}), 'identity'],
	['edition', () => ({edition: 'server'}), 'identity'],
	['url', n => ({url: `https://mirror.example.org/other-${n}.iso`}), 'sources'],
	['checksumUrl', () => ({checksumUrl: 'https://example.org/SHA256SUMS'}), 'sources'],
	['checksum', () => ({checksum: `sha256:${SHA}`}), 'sources'],
	['checksumType', () => ({checksumType: 'sha512'}), 'sources'],
];

let counter = 0;

/** An image in `status` (complete: downloaded for real; the others set through the catalogue's transitions). */
async function imageIn(status: Status): Promise<Image> {
	const n = ++counter;
	if (status === 'complete' || status === 'missing') {
		const file = `/st${n}-1.0-x86_64.iso`;
		const sha = await h.server.serve(file, {kind: 'generated', size: 64 * KiB, seed: n, fileType: 'iso'});
		h.manager.start();
		const image = h.manager.addNow({url: h.server.url(file), checksum: `sha256:${sha}`});
		const done = await h.until(image.id, 'complete');
		await h.manager.stop();
		if (status === 'complete') return done;
		fs.rmSync(path.join(h.lib.config.imagesDir, done.filePath));
		return h.manager.catalogue.transition(done.id, 'missing', {}, 'test: file gone');
	}

	await h.manager.stop();
	const image = h.manager.addNow({url: `https://example.org/st${n}-1.0-x86_64.iso`});
	const c = h.manager.catalogue;
	switch (status) {
		case 'pending':
			return image;
		case 'downloading':
			return c.transition(image.id, 'downloading');
		case 'verifying':
			return c.transition(image.id, 'verifying');
		case 'paused':
			fs.mkdirSync(h.lib.config.tmpDir, {recursive: true});
			fs.writeFileSync(path.join(h.lib.config.tmpDir, `${image.id}.part`), Buffer.alloc(1000, 1));
			return c.transition(image.id, 'paused', {downloadedBytes: 1000, etag: '"v1"'});
		case 'failed':
			return c.transition(image.id, 'failed', {errorCode: 'http_status', errorMessage: 'HTTP 404'});
	}

	throw new Error(status);
}

describe('edit: every state × every field', () => {
	for (const status of ['pending', 'downloading', 'verifying', 'missing'] as const) {
		it(`${status}: every field is refused with INVALID_STATE and nothing changes`, async () => {
			for (const [field, patch] of FIELDS) {
				const image = await imageIn(status);
				const before = JSON.stringify(h.manager.get(image.id));
				const files = h.imageFiles();
				const error = await h.manager.edit(image.id, patch(counter)).catch((e: unknown) => e);
				expect(error, field).toBeInstanceOf(IsomanError);
				expect((error as IsomanError).code, field).toBe('invalid_state');
				expect((error as IsomanError).message, field).toContain(status === 'missing' ? 'missing its file' : status);
				expect(JSON.stringify(h.manager.get(image.id)), field).toBe(before);
				expect(h.imageFiles(), field).toEqual(files);
			}
		});
	}

	it('complete: identity fields move the file and sidecar (old directories removed); source fields are refused', async () => {
		for (const [field, patch, kind] of FIELDS) {
			const image = await imageIn('complete');
			const oldFile = path.join(h.lib.config.imagesDir, image.filePath);
			const bytes = fs.readFileSync(oldFile);
			if (kind === 'sources') {
				const error = await h.manager.edit(image.id, patch(counter)).catch((e: unknown) => e);
				expect((error as IsomanError).code, field).toBe('invalid_state');
				expect((error as IsomanError).message, field).toMatch(/only its name, version, arch and edition/);
				expect(fs.existsSync(oldFile), field).toBe(true);
				continue;
			}

			const after = await h.manager.edit(image.id, patch(counter));
			expect(after.status, field).toBe('complete');
			expect(after.filePath, field).not.toBe(image.filePath);
			const newFile = path.join(h.lib.config.imagesDir, after.filePath);
			expect(fs.readFileSync(newFile).equals(bytes), field).toBe(true);
			expect(fs.existsSync(oldFile), field).toBe(false);
			const sidecar = fs.readFileSync(`${newFile}.sha256`, 'utf8');
			expect(sidecar, field).toBe(`${after.checksum}  ${after.filename}\n`);
			expect(fs.existsSync(`${oldFile}.sha256`), field).toBe(false);
			// Directories left empty are gone (the image's name/version/arch directories, as far up as they emptied).
			if (field !== 'edition') expect(fs.existsSync(path.dirname(oldFile)), field).toBe(false);
			expect(h.manager.events(image.id, 3).some(e => e.kind === 'edited'), field).toBe(true);
			expect(h.manager.catalogue.db.prepare('SELECT count(*) FROM moves').pluck().get()).toBe(0);
		}
	});

	for (const status of ['failed', 'paused'] as const) {
		it(`${status}: identity fields change the row (no file to move); source fields queue it again`, async () => {
			for (const [field, patch, kind] of FIELDS) {
				const image = await imageIn(status);
				const after = await h.manager.edit(image.id, patch(counter));
				if (kind === 'identity') {
					expect(after.status, field).toBe(status);
					expect(after.filePath, field).not.toBe(image.filePath);
					continue;
				}

				expect(after.status, field).toBe('pending');
				expect(after.errorCode, field).toBeNull();
				if (field === 'url') expect(after.downloadUrl).toBe(`https://mirror.example.org/other-${counter}.iso`);
				if (field === 'checksumUrl') expect(after).toMatchObject({checksumUrl: 'https://example.org/SHA256SUMS', expectedChecksum: null});
				if (field === 'checksum') expect(after).toMatchObject({checksumUrl: null, expectedChecksum: SHA, checksumType: 'sha256'});
				if (field === 'checksumType') expect(after.checksumType).toBe('sha512');
				const part = path.join(h.lib.config.tmpDir, `${image.id}.part`);
				if (status === 'paused') {
					// It had a validator: the .part stays, and If-Range decides at the next request.
					expect(fs.existsSync(part), field).toBe(true);
					expect(after.downloadedBytes, field).toBe(1000);
				}
			}
		});
	}

	it('a paused image without a validator starts over: its .part goes', async () => {
		const image = await imageIn('paused');
		h.manager.catalogue.update(image.id, {etag: null, lastModified: null});
		const after = await h.manager.edit(image.id, {url: 'https://example.org/new-1.0-x86_64.iso'});
		expect(after).toMatchObject({status: 'pending', downloadedBytes: 0});
		expect(fs.existsSync(path.join(h.lib.config.tmpDir, `${image.id}.part`))).toBe(false);
	});

	it('a paused image with a new URL resumes only if the new URL serves the same file (If-Range), else starts over', async () => {
		const size = 512 * KiB;
		await h.server.serve('/orig-1.0-x86_64.iso', {kind: 'generated', size, seed: 77, fileType: 'iso'}, {throttleBps: 128 * KiB});
		const other = await h.server.serve('/other-1.0-x86_64.iso', {kind: 'generated', size, seed: 78, fileType: 'iso'});
		h.manager.start();
		const image = h.manager.addNow({url: h.server.url('/orig-1.0-x86_64.iso')});
		await h.until(image.id, 'downloading');
		await new Promise<void>(resolve => {
			const check = () => ((h.manager.get(image.id)?.downloadedBytes ?? 0) > 0 ? resolve() : setTimeout(check, 20));
			check();
		});
		await h.manager.pause(image.id);
		// A different file at the new URL: its validator differs, so the server answers the range with the whole file.
		await h.manager.edit(image.id, {url: h.server.url('/other-1.0-x86_64.iso'), checksum: `sha256:${other}`});
		const done = await h.until(image.id, 'complete', 'failed');
		expect(done.status, done.errorMessage ?? '').toBe('complete');
		expect(done.checksum).toBe(other);
	});

	it('validation is add’s: every bad field named; an identity taken is a DuplicateImageError with its id', async () => {
		const a = await imageIn('complete');
		const b = await imageIn('complete');
		const bad = await h.manager.edit(a.id, {name: '!!!', version: 'a b', arch: ''}).catch((e: unknown) => e);
		expect(bad).toBeInstanceOf(ValidationError);
		expect((bad as ValidationError).problems.map(p => p.field).sort()).toEqual(['arch', 'name', 'version']);
		const clash = await h.manager.edit(a.id, {name: b.name}).catch((e: unknown) => e);
		expect(clash).toBeInstanceOf(DuplicateImageError);
		expect((clash as DuplicateImageError).existingId).toBe(b.id);
		expect(fs.existsSync(path.join(h.lib.config.imagesDir, a.filePath))).toBe(true);
		// Nothing to change: the row is returned as it is.
		expect(await h.manager.edit(a.id, {name: a.name, version: a.version})).toEqual(h.manager.get(a.id));
	});

	it('a file already at the new path (not in the library) is left alone and the edit refused', async () => {
		const image = await imageIn('complete');
		const target = path.join(h.lib.config.imagesDir, image.name, '7.0', 'x86_64', `${image.name}-7.0-x86_64.iso`);
		fs.mkdirSync(path.dirname(target), {recursive: true});
		fs.writeFileSync(target, 'someone else');
		const error = await h.manager.edit(image.id, {version: '7.0'}).catch((e: unknown) => e);
		expect((error as IsomanError).code).toBe('invalid_state');
		expect(fs.readFileSync(target, 'utf8')).toBe('someone else');
		expect(h.manager.get(image.id)!.filePath).toBe(image.filePath);
	});
});
