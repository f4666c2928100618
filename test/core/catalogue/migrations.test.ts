import fs from 'node:fs';
import {Worker} from 'node:worker_threads';
import Database from 'better-sqlite3';
import {afterEach, describe, expect, it} from 'vitest';
import {openDatabase} from '../../../source/core/catalogue/database.js';
import {LATEST_VERSION, MIGRATIONS, SchemaTooNewError} from '../../../source/core/catalogue/migrations.js';
import {Catalogue} from '../../../source/core/catalogue/repository.js';
import {tempLibrary, type TempLibrary} from '../../support/library.js';

let lib: TempLibrary;
afterEach(() => lib?.cleanup());

describe('migrations', () => {
	it('brings a fresh database to the latest version with the agreed pragmas', () => {
		lib = tempLibrary();
		const db = openDatabase(lib.config.dbPath);
		expect(db.pragma('user_version', {simple: true})).toBe(LATEST_VERSION);
		expect(LATEST_VERSION).toBe(MIGRATIONS.length);
		expect(db.pragma('journal_mode', {simple: true})).toBe('wal');
		expect(db.pragma('foreign_keys', {simple: true})).toBe(1);
		expect(db.pragma('synchronous', {simple: true})).toBe(2); // FULL
		expect(db.pragma('busy_timeout', {simple: true})).toBe(5000);
		const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
		expect(tables).toEqual(expect.arrayContaining(['images', 'events', 'commands']));
		db.close();
	});

	it('migrates a version-1 database with rows in it, keeping the rows', () => {
		lib = tempLibrary();
		const v1 = openDatabase(lib.config.dbPath, {targetVersion: 1});
		expect(v1.pragma('user_version', {simple: true})).toBe(1);
		// Rows as version 1 wrote them (today's Catalogue reads later columns too).
		const insert = v1.prepare(`INSERT INTO images (id, name, version, arch, edition, file_type, filename, file_path, status, download_url, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'iso', ?, ?, 'pending', ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
		insert.run('aaaaaaaaaaaa', 'alpine', '3.20.3', 'x86_64', '', 'a.iso', 'alpine/3.20.3/x86_64/a.iso', 'http://h/a.iso');
		insert.run('bbbbbbbbbbbb', 'debian', '12', 'x86_64', 'netinst', 'b.iso', 'debian/12/x86_64/b.iso', 'http://h/b.iso');
		v1.prepare("INSERT INTO events (image_id, ts, kind) VALUES ('aaaaaaaaaaaa', '2026-01-01T00:00:00.000Z', 'added')").run();
		v1.close();

		const db = openDatabase(lib.config.dbPath);
		expect(db.pragma('user_version', {simple: true})).toBe(LATEST_VERSION);
		const after = new Catalogue(db);
		expect(after.get('aaaaaaaaaaaa')).toMatchObject({name: 'alpine', version: '3.20.3', edition: null, status: 'pending', downloadCount: 0, bytesServed: 0, verifiedAt: null});
		expect(after.get('bbbbbbbbbbbb')).toMatchObject({name: 'debian', edition: 'netinst', filePath: 'debian/12/x86_64/b.iso'});
		expect(after.events('aaaaaaaaaaaa').map(e => e.kind)).toEqual(['added']);
		after.close();
	});

	it('refuses a database from a newer isoman and leaves it unchanged', () => {
		lib = tempLibrary();
		openDatabase(lib.config.dbPath).close();
		const raw = new Database(lib.config.dbPath);
		raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
		raw.close();
		expect(() => openDatabase(lib.config.dbPath)).toThrow(SchemaTooNewError);
		expect(() => openDatabase(lib.config.dbPath)).toThrow(`has schema version ${LATEST_VERSION + 5}, but this isoman knows only up to ${LATEST_VERSION}`);
		const check = new Database(lib.config.dbPath);
		expect(check.pragma('user_version', {simple: true})).toBe(LATEST_VERSION + 5);
		check.close();
	});

	it('keeps the audit table append-only', () => {
		lib = tempLibrary();
		const catalogue = new Catalogue(openDatabase(lib.config.dbPath));
		const a = catalogue.insert({name: 'alpine', version: '1', arch: 'x86_64', edition: null, fileType: 'iso', filename: 'a.iso', filePath: 'alpine/1/x86_64/a.iso', downloadUrl: 'http://h/a.iso'});
		expect(() => catalogue.db.prepare('DELETE FROM events').run()).toThrow('append-only');
		expect(() => catalogue.db.prepare("UPDATE events SET kind = 'x'").run()).toThrow('append-only');
		expect(catalogue.events(a.id)).toHaveLength(1);
		catalogue.close();
	});
});

type StartResult = {ok: boolean; id?: string; message?: string};

/** `count` workers, kept for every round (starting a worker costs more than the round itself). */
async function startWorkers(count: number): Promise<Worker[]> {
	const workers = Array.from({length: count}, () => new Worker(new URL('../../support/first-start-worker.mjs', import.meta.url)));
	await Promise.all(
		workers.map(
			async worker =>
				new Promise((resolve, reject) => {
					worker.once('message', resolve);
					worker.once('error', reject);
				}),
		),
	);
	return workers;
}

/** Every worker opens the library at `dir` at the same instant and adds one image. */
async function firstStarts(workers: Worker[], dir: string): Promise<StartResult[]> {
	const barrier = new SharedArrayBuffer(8);
	const flags = new Int32Array(barrier);
	const results = workers.map(
		async (worker, i) =>
			new Promise<StartResult>((resolve, reject) => {
				worker.once('message', resolve);
				worker.once('error', reject);
				worker.postMessage({dataDir: dir, url: `http://127.0.0.1:9/pub/os${i}-1.0-x86_64.iso`, barrier});
			}),
	);
	while (Atomics.load(flags, 0) < workers.length) Atomics.wait(flags, 0, Atomics.load(flags, 0), 50);
	Atomics.store(flags, 1, 1);
	Atomics.notify(flags, 1);
	return Promise.all(results);
}

describe('concurrent first starts', () => {
	it('8 first starts at once (worker threads, one connection each) on a fresh or version-1 library × 20 rounds: every migration once, every add kept', async () => {
		const workers = await startWorkers(8);
		try {
			for (let round = 0; round < 20; round++) {
				lib?.cleanup();
				lib = tempLibrary();
				fs.mkdirSync(lib.dir, {recursive: true});
				if (round % 2 === 1) openDatabase(lib.config.dbPath, {targetVersion: 1}).close();
				const results = await firstStarts(workers, lib.dir);
				expect(results.filter(r => !r.ok), `round ${round}`).toEqual([]);
				const db = new Database(lib.config.dbPath, {readonly: true});
				expect(db.pragma('user_version', {simple: true})).toBe(LATEST_VERSION);
				expect(db.prepare('SELECT COUNT(*) FROM images').pluck().get(), `round ${round}`).toBe(8);
				db.close();
			}
		} finally {
			await Promise.all(workers.map(async worker => worker.terminate()));
		}
	});
});
