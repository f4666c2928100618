/**
 * Failures inside a download's order of operations (job.ts header) that must leave the library as the invariants say,
 * without any crash: a step after the rename failing, and the catalogue refusing a progress write.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterEach, describe, expect, it} from 'vitest';
import {checkLibrary} from '../support/crash-checker.js';
import {startHarness, MiB, type Harness} from '../support/harness.js';
import {waitFor} from '../support/library.js';

let h: Harness | undefined;
afterEach(async () => {
	await h?.close();
	h = undefined;
});

describe('job: failures between the download and the commit', () => {
	it('when the sidecar cannot be written after the rename, the file is taken out again and the row fails: nothing under images/', async () => {
		h = await startHarness();
		const {server, manager, lib} = h;
		const sha = await server.serve('/s/alpine-standard-3.20.3-x86_64.iso', {kind: 'generated', size: 2 * MiB, seed: 1, fileType: 'iso'});
		const image = manager.addNow({url: server.url('/s/alpine-standard-3.20.3-x86_64.iso'), checksum: `sha256:${sha}`});
		// A directory where the sidecar goes: renaming the finished sidecar over it fails (EISDIR).
		const final = path.join(lib.config.imagesDir, image.filePath);
		fs.mkdirSync(`${final}.sha256`, {recursive: true});
		manager.start();

		const failed = await h.until(image.id, 'failed', 'complete');
		expect(failed.status).toBe('failed');
		expect(failed.errorCode).toBe('io');
		expect(fs.existsSync(final)).toBe(false);
		expect(h.tmpFiles()).toEqual([]);
		expect(h.logs.records().filter(r => r['event'] === 'download.unplaced')).toHaveLength(1);
		expect((await checkLibrary(lib.config, {db: manager.catalogue.db})).violations).toEqual([]);

		// Once the obstacle is gone, retry downloads it again and completes.
		fs.rmdirSync(`${final}.sha256`);
		await manager.retry(image.id);
		const done = await h.until(image.id, 'complete', 'failed');
		expect(done.status, done.errorMessage ?? '').toBe('complete');
		expect((await checkLibrary(lib.config, {db: manager.catalogue.db})).violations).toEqual([]);
	});

	it('a progress write refused by a locked catalogue (another process holding it past busy_timeout) neither fails nor corrupts the download', async () => {
		h = await startHarness();
		const {server, manager, lib} = h;
		const file = '/l/debian-12.7.0-amd64-netinst.iso';
		const sha = await server.serve(file, {kind: 'generated', size: 16 * MiB, seed: 2, fileType: 'iso'}, {throttleBps: 2 * MiB});
		// Unverified: the digest computed while downloading is all there is, so it must be right.
		const image = manager.addNow({url: server.url(file)});
		manager.start();
		await waitFor(() => manager.get(image.id)!.downloadedBytes > 0, {what: 'the first durable progress'});

		// Another connection takes the write lock and keeps it longer than busy_timeout (5 s): the next progress write
		// waits 5 s, then fails with SQLITE_BUSY.
		const other = new Database(lib.config.dbPath);
		other.exec('BEGIN IMMEDIATE');
		const refused = waitFor(() => h!.logs.records().find(r => r['event'] === 'download.progress_not_saved'), {timeoutMs: 15_000, what: 'a refused progress write'});
		await new Promise(resolve => setTimeout(resolve, 6000)); // the lock is held for 6 s: that is the scenario, not a wait
		other.exec('COMMIT');
		other.close();
		expect(JSON.stringify((await refused)['error'])).toContain('SQLITE_BUSY');
		expect(manager.get(image.id)!.status).toBe('downloading');

		const done = await h.until(image.id, 'complete', 'failed');
		expect(done.status, done.errorMessage ?? '').toBe('complete');
		expect(done.checksum).toBe(sha);
		expect((await checkLibrary(lib.config, {db: manager.catalogue.db})).violations).toEqual([]);
	}, 60_000);
});
