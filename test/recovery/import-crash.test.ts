/**
 * Crash safety of `isoman import`: the real program (`node dist/cli.js import`) is killed with SIGKILL at seeded
 * pseudo-random moments while it imports several images (mid-hash, mid-copy, between rename and commit, during the
 * history transaction …), then started again, until a run finishes by itself. After every kill:
 *
 *   at the instant of the kill   the library's invariants that hold at every instant (test/support/crash-checker.ts)
 *                                and ISOMan's side: unchanged (plain import), or every image file either still at
 *                                ISOMan's path or complete and verified in isoman's library (--move): never lost
 *   after recovery               all invariants, nothing left downloading or verifying
 * and at the end of a round: exactly one image per ISOMan row, each complete with ISOMan's digest, dates, count and
 * download events (none twice), the one row whose file does not match its checksum reported and absent.
 *
 * Two rounds: hard links with --move (same file system), and copies (ISOMan's directory on a tmpfs mounted here when
 * running as root, else /dev/shm when that is another file system). ISOMAN_IMPORT_KILLS sets the number of kills per
 * round (default 10), ISOMAN_IMPORT_SEED reproduces a run (the seed is printed and in every failure message).
 */
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, describe, expect, it} from 'vitest';
import {loadConfig, type Config} from '../../source/config.js';
import {silentLogger} from '../../source/core/log.js';
import {openLibrary} from '../../source/core/open-library.js';
import {checkLibrary} from '../support/crash-checker.js';
import {bytes, makeIsomanDir, treeState, type IsomanDir, type IsomanRowSpec} from '../support/isoman-fixture.js';
import {seededRandom} from '../support/random.js';
import {mountTmpfs, unmountTmpfs} from '../support/tmpfs.js';

const MiB = 1024 * 1024;
const KILLS = Number(process.env['ISOMAN_IMPORT_KILLS'] ?? 10);
const SEED = Number(process.env['ISOMAN_IMPORT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CLI = path.resolve('dist/cli.js');
const random = seededRandom(SEED);
/** What the kills interrupted (printed: shows which windows the seed covered). */
const seen = new Map<string, number>();
const cleanups: Array<() => void> = [];
afterAll(() => {
	for (const cleanup of cleanups.reverse()) cleanup();
});

console.log(`import crash test: seed ${SEED} (ISOMAN_IMPORT_SEED=${SEED} reproduces it), ${KILLS} kills per round`);

function specs(withMismatch: boolean): IsomanRowSpec[] {
	const sizes = [12, 20, 6, 16, 9].map(m => Math.round((m + random() * 4) * MiB));
	const names = ['alpine', 'debian', 'fedora', 'rocky', 'ubuntu'];
	const list: IsomanRowSpec[] = names.map((name, i) => ({
		name,
		version: `${i + 1}.0`,
		arch: i % 2 ? 'amd64' : 'x86_64',
		status: 'complete',
		content: bytes(sizes[i]!, SEED + i),
		verified: i !== 2,
		downloadCount: i + 1,
		downloads: Array.from({length: i + 1}, (_, k) => new Date(Date.UTC(2024, 4, 1 + k, 12))),
	}));
	if (withMismatch) list.push({name: 'wrong', version: '1.0', arch: 'x86_64', status: 'complete', content: bytes(3 * MiB, 99), checksum: 'b'.repeat(64)});
	list.push({name: 'queued', version: '2.0', arch: 'x86_64', status: 'pending'}, {name: 'gone', version: '3.0', arch: 'x86_64', status: 'complete', checksum: 'c'.repeat(64)});
	return list;
}

/** Where ISOMan's directory goes for the copy round: another file system than the library's. */
function otherFileSystem(): {dir: string; why: string} | {dir?: undefined; why: string} {
	const mount = mountTmpfs(256 * MiB, 'isoman-import-crash-');
	if ('dir' in mount) {
		cleanups.push(() => unmountTmpfs(mount.dir));
		return {dir: mount.dir, why: 'a tmpfs mounted for this test'};
	}

	if (fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').dev !== fs.statSync(os.tmpdir()).dev) {
		const dir = fs.mkdtempSync('/dev/shm/isoman-import-');
		cleanups.push(() => fs.rmSync(dir, {recursive: true, force: true}));
		return {dir, why: `/dev/shm (${mount.reason})`};
	}

	return {why: `${mount.reason}, and /dev/shm is not another file system`};
}

type Run = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string};

/** When to kill: `ms` after spawning, or `ms` after the `line`-th progress line (so kills also land mid-file). */
type KillAt = {ms: number; line?: number};

function runImport(lib: string, source: string, flags: string[], kill: KillAt | undefined): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, '--data-dir', lib, 'import', source, '--json', ...flags], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		let timer: NodeJS.Timeout | undefined;
		// The delay IS the crash moment (not a wait for a condition).
		const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), kill!.ms));
		child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
		child.stderr.setEncoding('utf8').on('data', (c: string) => {
			const before = stderr.split('\n').length;
			stderr += c;
			if (kill?.line !== undefined && !timer && before <= kill.line && stderr.split('\n').length > kill.line) arm();
		});
		if (kill && kill.line === undefined) arm();
		const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
		child.once('error', reject);
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			clearTimeout(guard);
			resolve({code, signal, stdout, stderr});
		});
	});
}

/**
 * The catalogue as the next process would open it (read-write: SQLite itself rolls back a transaction a kill cut
 * short, which a read-only connection cannot), or undefined when a kill came before its first migration committed.
 */
function openCatalogue(config: Config): Database.Database | undefined {
	if (!fs.existsSync(config.dbPath)) return undefined;
	const db = new Database(config.dbPath, {fileMustExist: true});
	if (db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'images'").pluck().get() === 1) return db;
	db.close();
	return undefined;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Kill and rerun an import into a fresh library until a run finishes by itself; check everything; return the kills. */
async function subRound(name: string, sourceBase: string, flags: string[], withMismatch: boolean, budget: number, timing: {maxDelayMs: number}): Promise<number> {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), `isoman-import-crash-${name}-`));
	const sourceDir = fs.mkdtempSync(path.join(sourceBase, 'isoman-data-'));
	try {
		return await killUntilDone(name, root, sourceDir, flags, withMismatch, budget, timing);
	} finally {
		fs.rmSync(root, {recursive: true, force: true});
		fs.rmSync(sourceDir, {recursive: true, force: true});
	}
}

async function killUntilDone(name: string, root: string, sourceDir: string, flags: string[], withMismatch: boolean, budget: number, timing: {maxDelayMs: number}): Promise<number> {
	const lib = path.join(root, 'library');
	const config: Config = loadConfig({dataDir: lib}, {});
	const source: IsomanDir = makeIsomanDir(sourceDir, specs(withMismatch));
	const move = flags.includes('--move');
	const initial = treeState(source.dir);
	const files = source.rows.filter(r => r.sha256);
	const where = (what: string) => `${name} round, seed ${SEED}, ${what}`;
	let kills = 0;
	let last: Run | undefined;
	for (let attempt = 0; ; attempt++) {
		const killing = kills < budget;
		// Half the kills at a random moment of the whole run (start-up and recovery included), half a few ms after a
		// random progress line (inside the hashing, copying and committing of the files).
		const kill: KillAt = random() < 0.5 ? {ms: 80 + Math.floor(random() * timing.maxDelayMs)} : {ms: Math.floor(random() * 30), line: 1 + Math.floor(random() * 12)};
		const started = Date.now();
		last = await runImport(lib, source.dir, flags, killing ? kill : undefined);
		if (last.signal !== 'SIGKILL' || !killing) {
			// Later kills land within the time a whole run takes.
			timing.maxDelayMs = Math.max(100, Math.min(timing.maxDelayMs, Date.now() - started));
			break;
		}

		kills++;
		const what = `kill ${kills} at ${kill.ms} ms${kill.line === undefined ? '' : ` after progress line ${kill.line}`}`;
		const db = openCatalogue(config);
		if (!db) {
			// Killed before the catalogue's first migration committed: nothing may have been written under images/.
			expect(treeState(config.imagesDir), where(`${what}, before the catalogue existed`)).toEqual(fs.existsSync(config.tmpDir) ? {'.tmp/': expect.any(String)} : {});
			continue;
		}

		let instant;
		try {
			instant = await checkLibrary(config, {settled: false, db});
		} finally {
			db.close();
		}

		expect(instant.violations, where(`${what}, at the instant of the kill`)).toEqual([]);
		for (const image of instant.rows.filter(r => r.status === 'verifying')) {
			const state = instant.tmp.includes(`${image.id}.part`) ? 'mid-copy (.part)' : instant.files.includes(image.filePath) ? 'file placed, commit pending' : 'row inserted, no bytes yet';
			seen.set(state, (seen.get(state) ?? 0) + 1);
		}

		const complete = new Set(instant.rows.filter(r => r.status === 'complete').map(r => r.checksum));
		for (const row of files) {
			const there = fs.existsSync(row.absolutePath);
			if (!move) expect(there, where(`${what}: ISOMan's ${row.filePath} is gone without --move`)).toBe(true);
			else if (!there) expect(complete.has(row.sha256!), where(`${what}: ${row.filePath} is neither at ISOMan's path nor complete in the library`)).toBe(true);
		}

		const library = await openLibrary(config, silentLogger, 'test', {requireOwner: true});
		await library.close();
		const settled = await checkLibrary(config);
		expect(settled.violations, where(`${what}, after recovery`)).toEqual([]);
		expect(attempt, where('no end in sight')).toBeLessThan(budget * 3 + 10);
	}

	expect(last.stderr.includes('"level":"error"'), where(last.stderr)).toBe(false);
	expect(last.code, where(`the final run: ${last.stdout} ${last.stderr}`)).toBe(withMismatch ? 1 : 0);
	const report = JSON.parse(last.stdout) as {rows: Array<{isoman_id: string; outcome: string}>};
	const notImported = report.rows.filter(r => !['imported', 'already_imported'].includes(r.outcome)).map(r => r.outcome);
	expect(notImported, where('the final report')).toEqual(withMismatch ? ['checksum_mismatch'] : []);

	const final = await checkLibrary(config);
	expect(final.violations, where('at the end')).toEqual([]);
	expect(final.tmp, where('at the end')).toEqual([]);
	const byName = new Map(final.rows.map(r => [r.name, r]));
	expect(final.rows.length, where('one image per ISOMan row')).toBe(source.rows.length - (withMismatch ? 1 : 0));
	const db = new Database(config.dbPath, {readonly: true, fileMustExist: true});
	try {
		for (const row of source.rows) {
			const image = byName.get(row.name);
			if (row.name === 'wrong') {
				expect(image, where('the mismatching file is not imported')).toBeUndefined();
				continue;
			}

			expect(image, where(`${row.name} imported`)).toBeDefined();
			expect(image!.createdAt).toBe(row.createdAt.toISOString());
			expect(image!.downloadCount, where(`${row.name}'s count, once`)).toBe(row.downloadCount);
			const events = db.prepare('SELECT ts FROM download_events WHERE image_id = ? ORDER BY ts').pluck().all(image!.id);
			expect(events, where(`${row.name}'s download events, once`)).toEqual(row.downloads.map(d => d.toISOString()));
			if (row.sha256) {
				expect(image!.status).toBe('complete');
				expect(image!.completedAt, where(`${row.name}'s completed_at`)).toBe(row.completedAt!.toISOString());
				expect(sha256(path.join(config.imagesDir, image!.filePath))).toBe(row.sha256);
				expect(fs.existsSync(row.absolutePath), where(`${row.name} at ISOMan's path`)).toBe(!move);
			}
		}
	} finally {
		db.close();
	}

	if (!move) expect(treeState(source.dir), where("ISOMan's directory changed")).toEqual(initial);
	return kills;
}

/** Sub-rounds (each a fresh library, finished by a rerun) until KILLS kills have landed. */
async function round(name: string, sourceBase: string, flags: string[], withMismatch: boolean): Promise<void> {
	const timing = {maxDelayMs: 1000};
	let kills = 0;
	let rounds = 0;
	while (kills < KILLS) {
		kills += await subRound(name, sourceBase, flags, withMismatch, KILLS - kills, timing);
		rounds++;
		expect(rounds, `${name}: kills do not land (seed ${SEED})`).toBeLessThan(KILLS + 5);
	}

	console.log(`import crash test, ${name}: ${kills} kills over ${rounds} imports, each finished by a rerun; all checks held; interrupted: ${JSON.stringify(Object.fromEntries(seen))}`);
	seen.clear();
}

describe('isoman import under kill -9', () => {
	it('hard links with --move: consistent after every kill, nothing lost, finished by a rerun', {timeout: 600_000}, async () => {
		await round('link+move', os.tmpdir(), ['--move'], false);
	});

	const other = otherFileSystem();
	it.skipIf(!other.dir)(`copies across file systems (ISOMan's directory on ${other.why}): consistent after every kill, finished by a rerun`, {timeout: 600_000}, async () => {
		await round('copy', other.dir!, [], true);
	});
	if (!other.dir) it.skip(`copies across file systems: skipped, ${other.why}`, () => {});
});
