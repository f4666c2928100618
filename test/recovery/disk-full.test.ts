/**
 * Disk full (issue 5 §4): the whole library (catalogue, log, images) on a 24 MiB tmpfs. A download larger than the
 * space fails with a "disk full" message that names the free space — up front when the size is known (the pre-flight
 * check names both numbers), mid-write when it is not (no Content-Length: ENOSPC) — while the other rows are
 * unaffected, the catalogue stays intact and writable, and the next start recovers cleanly.
 *
 * Mounting needs root: elsewhere the tests are skipped and the reason is printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {loadConfig, type Config} from '../../source/config.js';
import {createLogger, memorySink} from '../../source/core/log.js';
import {openLibrary, type OpenLibrary} from '../../source/core/open-library.js';
import type {Image} from '../../source/core/types.js';
import type {Manager} from '../../source/core/manager.js';
import {checkLibrary} from '../support/crash-checker.js';
import {waitFor} from '../support/library.js';
import {mountTmpfs, unmountTmpfs} from '../support/tmpfs.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {MiB} from '../support/sizes.js';

const TMPFS_SIZE = 24 * MiB;

const mount = mountTmpfs(TMPFS_SIZE, 'isoman-diskfull-');
const mountDir = 'dir' in mount ? mount.dir : undefined;
if ('reason' in mount) console.info(`disk-full tests skipped: ${mount.reason}`);
const unmount = unmountTmpfs;

describe.skipIf(!mountDir)('disk full on a 24 MiB tmpfs', () => {
	let server: TestServer;
	let library: OpenLibrary | undefined;
	let sink: ReturnType<typeof memorySink>;
	let libraryCount = 0;

	afterEach(async () => {
		await library?.close();
		library = undefined;
		await server?.close();
	});

	afterAll(() => {
		if (mountDir) unmount(mountDir);
	});

	/** This process owns the library: its engine, with the catalogue the checks read. */
	const own = (lib: OpenLibrary) => lib.library as Manager;

	/** A fresh library directory on the tmpfs, opened as a real start does it (lock, recovery). */
	async function start(dataDir?: string): Promise<{config: Config; library: OpenLibrary}> {
		const dir = dataDir ?? path.join(mountDir!, `lib${++libraryCount}`);
		// Each test starts from an empty tmpfs.
		if (!dataDir) for (const entry of fs.readdirSync(mountDir!)) fs.rmSync(path.join(mountDir!, entry), {recursive: true, force: true});
		const config = loadConfig({dataDir: dir, retryBaseMs: 20, retryMaxMs: 200, perHost: 3}, {});
		sink = memorySink();
		library = await openLibrary(config, createLogger({level: 'debug', sink}), 'test', {requireOwner: true});
		library.library.start();
		return {config, library};
	}

	async function until(lib: OpenLibrary, id: string, ...statuses: Array<Image['status']>): Promise<Image> {
		return waitFor(
			() => {
				const image = lib.library.get(id);
				return image && statuses.includes(image.status) ? image : undefined;
			},
			{timeoutMs: 30_000, what: `${id} to be ${statuses.join('/')} (is ${lib.library.get(id)?.status})`},
		);
	}

	/** After the failure: catalogue intact and writable, invariants hold, and the next start has nothing to repair. */
	async function afterwards(config: Config, lib: OpenLibrary): Promise<void> {
		// Nothing blew up on the way (a catalogue write failing on the full disk would show here).
		expect(sink.records().filter(r => r['level'] === 'error')).toEqual([]);
		const checked = await checkLibrary(config, {db: own(lib).catalogue.db});
		expect(checked.violations).toEqual([]);
		expect(own(lib).catalogue.integrityCheck()).toBe('ok');
		// Still writable: a new row goes in (and is removed again, so nothing downloads it).
		const added = own(lib).addNow({url: server.url('/later/later-1.0-x86_64.iso')});
		expect(lib.library.get(added.id)?.status).toBeDefined();
		await lib.library.remove(added.id);
		await lib.close();
		library = undefined;

		const again = await start(config.dataDir);
		const report = again.library.recovery!;
		for (const [key, list] of Object.entries(report)) expect(list, `recovery ${key}`).toEqual([]);
		expect(sink.records().filter(r => String(r['event']).startsWith('recovery.')).map(r => r['event'])).toEqual(['recovery.summary']);
		expect((await checkLibrary(config, {db: own(again.library).catalogue.db})).violations).toEqual([]);
	}

	it('a known size larger than the free space fails before writing, naming both numbers; the others are unaffected', async () => {
		server = await startTestServer();
		const {config, library: lib} = await start();
		const manager = own(lib);
		// One already complete before the big one is added; one added with it.
		const shaDone = await server.serve('/d/done-1.0-x86_64.iso', {kind: 'generated', size: 3 * MiB, seed: 1, fileType: 'iso'});
		const done = manager.addNow({url: server.url('/d/done-1.0-x86_64.iso'), checksum: `sha256:${shaDone}`});
		await until(lib, done.id, 'complete');
		const big = 40 * MiB;
		await server.serve('/d/big-1.0-x86_64.iso', {kind: 'generated', size: big, seed: 2, fileType: 'iso'});
		const shaSmall = await server.serve('/d/small-1.0-x86_64.iso', {kind: 'generated', size: 2 * MiB, seed: 3, fileType: 'iso'});
		const bigRow = manager.addNow({url: server.url('/d/big-1.0-x86_64.iso')});
		const small = manager.addNow({url: server.url('/d/small-1.0-x86_64.iso')});

		const failed = await until(lib, bigRow.id, 'failed', 'complete');
		expect(failed.status).toBe('failed');
		expect(failed.errorCode).toBe('disk_full');
		const message = failed.errorMessage ?? '';
		const numbers = /needs 40\.0 MiB \((\d+) bytes\), only .* \((\d+) bytes\) free on /.exec(message);
		expect(numbers, message).not.toBeNull();
		expect(Number(numbers![1])).toBe(big);
		const free = Number(numbers![2]);
		expect(free).toBeLessThan(TMPFS_SIZE);
		expect(free).toBeGreaterThan(TMPFS_SIZE - 6 * MiB);
		// Failed before writing: one request, no .part left.
		expect(server.requestsFor('/d/big-1.0-x86_64.iso')).toHaveLength(1);
		expect(fs.existsSync(path.join(config.tmpDir, `${bigRow.id}.part`))).toBe(false);

		const smallDone = await until(lib, small.id, 'complete', 'failed');
		expect(smallDone.status, smallDone.errorMessage ?? '').toBe('complete');
		expect(smallDone.checksum).toBe(shaSmall);
		expect(manager.get(done.id)).toMatchObject({status: 'complete', checksum: shaDone});
		await afterwards(config, lib);
	});

	it('an unknown size runs into ENOSPC while writing: disk_full naming the free space, .part deleted, the others unaffected', async () => {
		server = await startTestServer();
		const {config, library: lib} = await start();
		const manager = own(lib);
		const shaDone = await server.serve('/e/done-1.0-x86_64.iso', {kind: 'generated', size: 3 * MiB, seed: 4, fileType: 'iso'});
		const done = manager.addNow({url: server.url('/e/done-1.0-x86_64.iso')});
		await until(lib, done.id, 'complete');
		const shaSmall = await server.serve('/e/small-1.0-x86_64.iso', {kind: 'generated', size: 2 * MiB, seed: 5, fileType: 'iso'});
		// No Content-Length, so nothing to check up front; throttled so the small one (unthrottled) finishes first.
		await server.serve('/e/big-1.0-x86_64.iso', {kind: 'generated', size: 40 * MiB, seed: 6, fileType: 'iso'}, {noContentLength: true, throttleBps: 24 * MiB});
		const small = manager.addNow({url: server.url('/e/small-1.0-x86_64.iso')});
		const bigRow = manager.addNow({url: server.url('/e/big-1.0-x86_64.iso')});

		const smallDone = await until(lib, small.id, 'complete', 'failed');
		expect(smallDone.status, smallDone.errorMessage ?? '').toBe('complete');
		expect(smallDone.checksum).toBe(shaSmall);

		const failed = await until(lib, bigRow.id, 'failed', 'complete');
		expect(failed.status).toBe('failed');
		expect(failed.errorCode, failed.errorMessage ?? '').toBe('disk_full');
		// formatBytes: `0 bytes`, or `1.5 MiB (1572864 bytes)`.
		expect(failed.errorMessage).toMatch(new RegExp(`^disk full while writing ${path.join(config.tmpDir, bigRow.id)}\\.part: (\\d+ bytes|.* \\(\\d+ bytes\\)) free$`));
		expect(failed.downloadedBytes).toBeLessThanOrEqual(TMPFS_SIZE);
		// The .part is gone, so the space is back.
		expect(fs.readdirSync(config.tmpDir)).toEqual([]);
		expect(fs.statfsSync(config.dataDir).bavail * fs.statfsSync(config.dataDir).bsize).toBeGreaterThan(TMPFS_SIZE - 12 * MiB);
		expect(manager.get(done.id)).toMatchObject({status: 'complete', checksum: shaDone});
		const warnings = sink.records().filter(r => r['event'] === 'download.failed');
		expect(warnings.map(r => r['code'])).toEqual(['disk_full']);
		await afterwards(config, lib);
	});
});
