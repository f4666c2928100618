/**
 * The states an interrupted import leaves, built one by one (the kill -9 test reaches them at random; here each is
 * certain): isoman's recovery puts each right by its own rules, and the next import finishes the job without
 * importing anything twice. Also: reading a live ISOMan catalogue (rows still in its WAL) without creating a file
 * beside it, and ISOMan's time formats.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterEach, describe, expect, it} from 'vitest';
import {loadConfig, type Config} from '../../../source/config.js';
import {ImportRecords} from '../../../source/core/catalogue/import-records.js';
import {importIsoman} from '../../../source/core/import/index.js';
import {parseSourceTime, readIsomanCatalogue} from '../../../source/core/import/isoman-catalogue.js';
import {silentLogger} from '../../../source/core/log.js';
import {openLibrary} from '../../../source/core/open-library.js';
import {checkLibrary} from '../../support/crash-checker.js';
import {bytes, goTimeString, makeIsomanDir, treeState} from '../../support/isoman-fixture.js';
import type {Manager} from '../../../source/core/manager.js';
import type {RecoveryReport} from '../../../source/core/recovery.js';

const KiB = 1024;
const roots: string[] = [];
afterEach(() => {
	for (const root of roots.splice(0)) fs.rmSync(root, {recursive: true, force: true});
});

function setUp() {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-import-resume-'));
	roots.push(root);
	const config: Config = loadConfig({dataDir: path.join(root, 'library')}, {});
	const source = makeIsomanDir(path.join(root, 'isoman'), [
		{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(256 * KiB, 21), verified: true, downloadCount: 4, downloads: [new Date('2024-06-01T10:00:00Z'), new Date('2024-06-03T09:00:00Z')]},
	]);
	return {config, source, row: source.rows[0]!};
}

const run = async (config: Config, dir: string, move = false) => importIsoman({config, log: silentLogger, source: dir, move});

/** Do something to the library as the owner would (lock held), then release it. */
async function withOwner<T>(config: Config, fn: (opened: {manager: Manager; recovery: RecoveryReport | undefined}) => T | Promise<T>): Promise<T> {
	const library = await openLibrary(config, silentLogger, 'test', {requireOwner: true});
	try {
		// This process holds the lock: its library is the owner's Manager.
		return await fn({manager: library.library as Manager, recovery: library.recovery});
	} finally {
		await library.close();
	}
}

/** The import's first transaction for `row`, as a run that was then killed left it. */
async function startedImport(config: Config, source: ReturnType<typeof setUp>['source'], checksum: string | null) {
	const row = source.rows[0]!;
	return withOwner(config, ({manager}) =>
		new ImportRecords(manager.catalogue).start({
			name: 'alpine',
			version: '3.20.3',
			arch: 'x86_64',
			edition: null,
			fileType: 'iso',
			filename: 'alpine-3.20.3-x86_64.iso',
			filePath: 'alpine/3.20.3/x86_64/alpine-3.20.3-x86_64.iso',
			sizeBytes: 256 * KiB,
			checksum,
			checksumType: 'sha256',
			expectedChecksum: row.checksum,
			downloadUrl: 'https://mirror.example.org/alpine/alpine-3.20.3-x86_64.iso',
			checksumUrl: null,
			errorCode: null,
			errorMessage: null,
			createdAt: row.createdAt.toISOString(),
			completedAt: null,
			status: 'verifying',
			sourceId: row.id,
			sourceDir: source.dir,
			detail: 'test',
		}),
	);
}

function history(config: Config, id: string) {
	const db = new Database(config.dbPath, {readonly: true, fileMustExist: true});
	try {
		return {
			events: db.prepare('SELECT ts FROM download_events WHERE image_id = ? ORDER BY ts').pluck().all(id),
			count: db.prepare('SELECT download_count FROM images WHERE id = ?').pluck().get(id),
			images: db.prepare('SELECT count(*) FROM images').pluck().get(),
		};
	} finally {
		db.close();
	}
}

describe('an interrupted import', () => {
	it('killed between placing the file and the commit: recovery completes the row, the rerun adds ISOMan\'s dates and history once', async () => {
		const {config, source, row} = setUp();
		const image = await startedImport(config, source, row.sha256!);
		const finalPath = path.join(config.imagesDir, image.filePath);
		fs.mkdirSync(path.dirname(finalPath), {recursive: true});
		fs.linkSync(row.absolutePath, finalPath);
		expect((await checkLibrary(config, {settled: false})).violations).toEqual([]);

		const recovered = await withOwner(config, ({recovery, manager}) => ({recovery, image: manager.get(image.id)!}));
		expect(recovered.recovery?.completed).toEqual([image.id]);
		expect(recovered.image.status).toBe('complete');

		const report = await run(config, source.dir);
		expect(report.rows[0]).toMatchObject({outcome: 'imported', id: image.id, reason: 'finished an import that was interrupted'});
		expect(report.exitCode).toBe(0);
		const after = await withOwner(config, ({manager}) => manager.get(image.id)!);
		expect(after.completedAt).toBe(row.completedAt!.toISOString());
		expect(history(config, image.id)).toEqual({events: row.downloads.map(d => d.toISOString()), count: 4, images: 1});
		expect((await checkLibrary(config)).violations).toEqual([]);

		const again = await run(config, source.dir);
		expect(again.rows[0]).toMatchObject({outcome: 'already_imported', id: image.id});
		expect(history(config, image.id)).toEqual({events: row.downloads.map(d => d.toISOString()), count: 4, images: 1});
	});

	it('killed in the middle of a copy: recovery keeps the .part for a pending row, the rerun brings the file in and leaves no .part', async () => {
		const {config, source, row} = setUp();
		const image = await startedImport(config, source, null);
		fs.mkdirSync(config.tmpDir, {recursive: true});
		fs.writeFileSync(path.join(config.tmpDir, `${image.id}.part`), fs.readFileSync(row.absolutePath).subarray(0, 100 * KiB));
		expect((await checkLibrary(config, {settled: false})).violations).toEqual([]);

		const recovered = await withOwner(config, ({recovery, manager}) => ({recovery, image: manager.get(image.id)!}));
		expect(recovered.recovery?.requeued).toEqual([image.id]);
		expect(recovered.image).toMatchObject({status: 'pending', downloadedBytes: 100 * KiB});
		expect((await checkLibrary(config)).violations).toEqual([]);

		const report = await run(config, source.dir);
		expect(report.rows[0]).toMatchObject({outcome: 'imported', id: image.id, as: 'complete', method: 'link'});
		const check = await checkLibrary(config);
		expect(check.violations).toEqual([]);
		expect(check.tmp).toEqual([]);
		expect(history(config, image.id)).toMatchObject({count: 4, images: 1});
	});

	it('killed after the row went in, before any byte: recovery requeues it, the rerun resumes the same image', async () => {
		const {config, source} = setUp();
		const image = await startedImport(config, source, null);
		const report = await run(config, source.dir);
		expect(report.rows[0]).toMatchObject({outcome: 'imported', id: image.id, as: 'complete'});
		expect(history(config, image.id).images).toBe(1);
	});

	it('an image removed from the library after it was imported is imported again (the record of it goes)', async () => {
		const {config, source} = setUp();
		const first = await run(config, source.dir);
		const id = first.rows[0]!.id!;
		await withOwner(config, async ({manager}) => manager.remove(id));
		const second = await run(config, source.dir);
		expect(second.rows[0]).toMatchObject({outcome: 'imported', as: 'complete'});
		expect(second.rows[0]!.id).not.toBe(id);
		expect((await checkLibrary(config)).violations).toEqual([]);
	});
});

describe("reading ISOMan's catalogue", () => {
	it('while ISOMan has it open: rows still in its WAL are read, nothing is created beside it, and the report warns', async () => {
		const {source} = setUp();
		const writer = new Database(source.dbPath);
		try {
			writer.pragma('journal_mode = WAL');
			writer.pragma('wal_autocheckpoint = 0');
			writer
				.prepare("INSERT INTO isos (id, name, version, arch, edition, file_type, filename, file_path, download_link, download_url, status, created_at) VALUES ('late', 'late', '1', 'x86_64', '', 'iso', 'late-1-x86_64.iso', 'late/1/x86_64/late-1-x86_64.iso', '/images/late', 'https://e.org/late-1-x86_64.iso', 'pending', ?)")
				.run(goTimeString(new Date('2024-07-01T00:00:00Z')));
			expect(fs.existsSync(`${source.dbPath}-wal`)).toBe(true);
			const before = treeState(source.dir);
			const catalogue = readIsomanCatalogue(source.dir);
			expect(catalogue.rows.map(r => r.id)).toContain('late');
			expect(catalogue.warnings.join(' ')).toContain('ISOMan seems to be running');
			expect(Object.keys(treeState(source.dir))).toEqual(Object.keys(before));
		} finally {
			writer.close();
		}

		// Stopped (no WAL beside it): read through a private copy; the directory stays exactly as it was.
		const before = treeState(source.dir);
		expect(readIsomanCatalogue(source.dir).warnings).toEqual([]);
		expect(treeState(source.dir)).toEqual(before);
	});

	it("understands the time formats ISOMan's drivers wrote", () => {
		expect(parseSourceTime('2024-05-01 12:30:00.123456789 +0200 CEST m=+3.000000001')).toBe('2024-05-01T10:30:00.123Z');
		expect(parseSourceTime('2024-05-01 10:30:00 +0000 UTC')).toBe('2024-05-01T10:30:00.000Z');
		expect(parseSourceTime('2024-05-01 05:30:00.5 -0500 EST')).toBe('2024-05-01T10:30:00.500Z');
		expect(parseSourceTime('2024-05-01 16:00:00 +0530 +0530')).toBe('2024-05-01T10:30:00.000Z');
		expect(parseSourceTime('2024-05-01T10:30:00Z')).toBe('2024-05-01T10:30:00.000Z');
		expect(parseSourceTime('2024-05-01T12:30:00+02:00')).toBe('2024-05-01T10:30:00.000Z');
		expect(parseSourceTime('2024-05-01 10:30:00')).toBe('2024-05-01T10:30:00.000Z');
		expect(parseSourceTime('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
		expect(parseSourceTime(1714559400)).toBe('2024-05-01T10:30:00.000Z');
		for (const bad of ['', 'yesterday', '2024-13-45 99:99:99', null, 'x'.repeat(200)]) expect(parseSourceTime(bad)).toBeUndefined();
	});
});
