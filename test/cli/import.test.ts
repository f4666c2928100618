/**
 * `isoman import` through the built CLI (a real child process) on ISOMan-shaped data directories built from
 * ISOMan's schema: what each kind of row becomes, what the report says, that ISOMan's side is never changed (without
 * --move), that a second run imports nothing twice, that --dry-run changes nothing anywhere, --move, the exit codes,
 * databases that are not ISOMan's, and the refusal to run beside a daemon.
 */
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {checkLibrary} from '../support/crash-checker.js';
import {mountTmpfs, unmountTmpfs} from '../support/tmpfs.js';
import {bytes, makeIsomanDir, treeState, type IsomanDir, type IsomanRowSpec} from '../support/isoman-fixture.js';
import {CLI, childEnv, fakeLock, inProcess, isoman, listJson, runCli, type ImageJson} from './helpers.js';

const KiB = 1024;
const roots: string[] = [];
afterEach(() => {
	for (const root of roots.splice(0)) fs.rmSync(root, {recursive: true, force: true});
});

function scene(specs: IsomanRowSpec[], migrations: 1 | 2 | 3 = 3): {root: string; lib: string; source: IsomanDir} {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-import-'));
	roots.push(root);
	const lib = path.join(root, 'library');
	return {root, lib, source: makeIsomanDir(path.join(root, 'isoman-data'), specs, migrations)};
}

type ReportRow = {isoman_id: string; outcome: string; id: string | null; status: string | null; method: string | null; field: string | null; reason: string | null; moved: boolean; file_path: string | null};
type Report = {
	source: string;
	dry_run: boolean;
	rows: ReportRow[];
	totals: {rows: number; imported: number; skipped: number; not_imported: number; bytes_linked: number; bytes_copied: number; bytes_moved: number; download_events: number};
	exit_code: number;
};

async function importJson(lib: string, source: string, extra: string[] = [], expectCode = 0): Promise<Report> {
	const result = await isoman(lib, ['import', source, '--json', ...extra], expectCode);
	return JSON.parse(result.stdout) as Report;
}

const rowOf = (report: Report, isomanId: string) => {
	const row = report.rows.find(r => r.isoman_id === isomanId);
	if (!row) throw new Error(`no report row for ${isomanId}: ${JSON.stringify(report.rows)}`);
	return row;
};

function libraryDb(lib: string) {
	return new Database(path.join(lib, 'isoman.db'), {readonly: true, fileMustExist: true});
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

/** The ISOMan library of the main scenario: every kind of row the import must handle. */
function mainScenario() {
	const t = (iso: string) => new Date(iso);
	const specs: IsomanRowSpec[] = [
		{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(300 * KiB, 1), verified: true, downloadCount: 5, downloads: [t('2024-04-01T10:00:00Z'), t('2024-04-02T11:00:00Z'), t('2024-04-02T12:30:00Z')], zoneOffset: 120},
		{name: 'debian', version: '12.5', arch: 'amd64', edition: 'netinst', status: 'complete', content: bytes(200 * KiB, 2), downloadCount: 1},
		{name: 'fedora', version: '40', arch: 'x86_64', status: 'complete', content: bytes(100 * KiB, 3), checksumType: 'sha512', checksum: sha512(Buffer.from('not the file'))},
		{name: 'archlinux', version: '2024.01.01', arch: 'x86_64', status: 'complete', verified: true, checksum: 'a'.repeat(64), downloadCount: 2},
		{name: 'ubuntu', version: '24.04', arch: 'x86_64', edition: 'live-server', status: 'pending'},
		{name: 'mint', version: '21.3', arch: 'x86_64', status: 'downloading'},
		{name: 'rocky', version: '9.3', arch: 'x86_64', status: 'failed', errorMessage: 'server returned 404 Not Found'},
		{name: 'evil', version: '../../etc', arch: 'x86_64', status: 'complete'},
		{name: 'spaced', version: '1.0', arch: 'x86 64', status: 'pending'},
		{name: 'opensuse', version: '15.5', arch: 'amd64', status: 'complete', content: bytes(64 * KiB, 4), verified: true},
		{name: 'opensuse', version: '15.5', arch: 'x86_64', status: 'complete', content: bytes(64 * KiB, 5), verified: true},
		{name: 'tails', version: '6.0', arch: 'x86_64', status: 'complete', content: bytes(32 * KiB, 6), verified: true},
		{name: 'linked', version: '1.0', arch: 'x86_64', status: 'complete'},
	];
	const s = scene(specs);
	// ISOMan's file for `linked` is a symlink to a file outside its tree.
	const linked = s.source.byName('linked');
	fs.mkdirSync(path.dirname(linked.absolutePath), {recursive: true});
	fs.writeFileSync(path.join(s.root, 'secret.txt'), 'not an image');
	fs.symlinkSync(path.join(s.root, 'secret.txt'), linked.absolutePath);
	return s;
}

describe('isoman import', () => {
	it('imports each kind of ISOMan row as the rules say, reports the others with the field and rule, and leaves ISOMan untouched', async () => {
		const {lib, source} = mainScenario();
		const tailsId = await inProcess(lib).add({url: 'https://mirror.example.org/tails/tails-6.0-x86_64.iso', name: 'tails', version: '6.0'});
		const before = treeState(source.dir);

		const report = await importJson(lib, source.dir, [], 1);
		expect(report.exit_code).toBe(1);
		const alpine = source.byName('alpine');
		const debian = source.byName('debian');
		const outcomes = Object.fromEntries(report.rows.map(r => [r.isoman_id, r.outcome]));
		expect(outcomes).toEqual({
			[alpine.id]: 'imported',
			[debian.id]: 'imported',
			[source.byName('fedora').id]: 'checksum_mismatch',
			[source.byName('archlinux').id]: 'imported',
			[source.byName('ubuntu').id]: 'imported',
			[source.byName('mint').id]: 'imported',
			[source.byName('rocky').id]: 'imported',
			[source.byName('evil').id]: 'invalid',
			[source.byName('spaced').id]: 'invalid',
			[source.byName('opensuse', 'amd64').id]: 'imported',
			[source.byName('opensuse', 'x86_64').id]: 'conflict',
			[source.byName('tails').id]: 'duplicate',
			[source.byName('linked').id]: 'unsafe',
		});
		expect(rowOf(report, source.byName('evil').id)).toMatchObject({field: 'version', reason: expect.stringMatching(/^version: "\.\.\/\.\.\/etc" must (match|not contain)/)});
		expect(rowOf(report, source.byName('spaced').id)).toMatchObject({field: 'arch', reason: expect.stringContaining('"x86 64" must match')});
		expect(rowOf(report, source.byName('fedora').id)).toMatchObject({field: 'checksum', reason: expect.stringContaining('does not match')});
		expect(rowOf(report, source.byName('tails').id)).toMatchObject({id: tailsId, reason: expect.stringContaining(tailsId)});
		expect(rowOf(report, source.byName('opensuse', 'x86_64').id).reason).toContain(source.byName('opensuse', 'amd64').id);
		expect(rowOf(report, source.byName('linked').id)).toMatchObject({field: 'file_path', reason: expect.stringContaining('symbolic link')});
		expect(rowOf(report, alpine.id)).toMatchObject({status: 'complete', method: 'link', file_path: 'alpine/3.20.3/x86_64/alpine-3.20.3-x86_64.iso'});
		expect(report.totals).toMatchObject({rows: 13, imported: 7, skipped: 1, not_imported: 5, bytes_copied: 0, bytes_moved: 0, download_events: 3});
		expect(report.totals.bytes_linked).toBe((300 + 200 + 64) * KiB);

		// The library: rows, files, sidecars, history.
		const images = await listJson(lib);
		const by = (name: string) => images.find(i => i.name === name)!;
		expect(images.map(i => i.name).sort()).toEqual(['alpine', 'archlinux', 'debian', 'mint', 'opensuse', 'rocky', 'tails', 'ubuntu']);
		expect(by('alpine')).toMatchObject({
			status: 'complete',
			checksum: alpine.sha256,
			checksum_type: 'sha256',
			expected_checksum: alpine.sha256,
			size_bytes: 300 * KiB,
			created_at: alpine.createdAt.toISOString(),
			completed_at: alpine.completedAt!.toISOString(),
			download_url: 'https://mirror.example.org/alpine/alpine-3.20.3-x86_64.iso',
			checksum_url: 'https://mirror.example.org/alpine/SHA256SUMS',
			download_count: 5,
		});
		// ISOMan checked no signatures: nothing imported claims one (a signature is checked only by a download here).
		for (const image of images) expect(image, image.name).toMatchObject({signed_by: null, signature_url: null, signature_key: null, require_signature: false});
		expect(by('debian')).toMatchObject({status: 'complete', arch: 'x86_64', edition: 'netinst', expected_checksum: null, checksum: debian.sha256, file_path: 'debian/12.5/x86_64/debian-12.5-netinst-x86_64.iso', download_count: 1});
		expect(by('archlinux')).toMatchObject({status: 'missing', expected_checksum: 'a'.repeat(64), download_count: 2});
		expect(by('ubuntu')).toMatchObject({status: 'pending', edition: 'live-server'});
		expect(by('mint')).toMatchObject({status: 'pending'});
		expect(by('rocky')).toMatchObject({status: 'failed', error_code: 'http_status', error_message: 'ISOMan: server returned 404 Not Found'});
		expect(by('opensuse')).toMatchObject({status: 'complete', arch: 'x86_64', checksum: source.byName('opensuse', 'amd64').sha256});
		expect(by('tails')).toMatchObject({id: tailsId, status: 'pending'});
		const placed = path.join(lib, 'images', by('alpine').file_path);
		expect(fs.statSync(placed).ino).toBe(fs.statSync(alpine.absolutePath).ino);
		expect(fs.readFileSync(`${placed}.sha256`, 'utf8')).toBe(`${alpine.sha256}  alpine-3.20.3-x86_64.iso\n`);
		const db = libraryDb(lib);
		try {
			const events = db.prepare('SELECT ts FROM download_events WHERE image_id = ? ORDER BY ts').pluck().all(by('alpine').id);
			expect(events).toEqual(alpine.downloads.map(d => d.toISOString()));
		} finally {
			db.close();
		}

		const check = await checkLibrary(inProcess(lib).config);
		expect(check.violations).toEqual([]);
		// Nothing under images/ but the imported files and their sidecars; nothing of the mismatch.
		expect(check.files.sort()).toEqual(
			[
				'alpine/3.20.3/x86_64/alpine-3.20.3-x86_64.iso',
				'alpine/3.20.3/x86_64/alpine-3.20.3-x86_64.iso.sha256',
				'debian/12.5/x86_64/debian-12.5-netinst-x86_64.iso',
				'debian/12.5/x86_64/debian-12.5-netinst-x86_64.iso.sha256',
				'opensuse/15.5/x86_64/opensuse-15.5-x86_64.iso',
				'opensuse/15.5/x86_64/opensuse-15.5-x86_64.iso.sha256',
			].sort(),
		);
		expect(check.tmp).toEqual([]);
		expect(treeState(source.dir)).toEqual(before);

		// A second run imports nothing twice and reports the same rows as not imported.
		const again = await importJson(lib, source.dir, [], 1);
		expect(again.totals).toMatchObject({imported: 0, skipped: 8, not_imported: 5, bytes_linked: 0, download_events: 0});
		expect(rowOf(again, alpine.id)).toMatchObject({outcome: 'already_imported', id: by('alpine').id});
		expect((await listJson(lib)).length).toBe(8);
		const db2 = libraryDb(lib);
		try {
			expect(db2.prepare('SELECT count(*) FROM download_events').pluck().get()).toBe(3);
		} finally {
			db2.close();
		}

		expect(treeState(source.dir)).toEqual(before);
	});

	it('prints a human report by default, with the totals', async () => {
		const {lib, source} = scene([
			{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(10 * KiB, 7), verified: true},
			{name: 'bad', version: 'a b', arch: 'x86_64', status: 'pending'},
			{name: 'term', version: '1\u001b[31mred\u202e', arch: 'x86_64', status: 'pending'},
		]);
		const result = await isoman(lib, ['import', source.dir], 1);
		expect(result.stdout).toContain(`Import from ${source.dir} (ISOMan schema 3)`);
		expect(result.stdout).toMatch(/imported\s+\S+\s+alpine\s+3\.20\.3\s+x86_64\s+-\s+complete \(hard link\) as [0-9a-f]{12}/);
		expect(result.stdout).toMatch(/invalid\s+\S+\s+bad\s+"a b"\s+x86_64\s+-\s+version: "a b" must match/);
		expect(result.stdout).toContain('3 rows: 1 imported, 0 skipped (already there), 2 not imported; 10.0 KiB linked, 0 B copied, 0 B moved; 0 download events');
		// ISOMan's values never reach the terminal raw: control and bidi characters are shown escaped.
		expect(result.stdout).toContain('"1\\u001b[31mred\\u202e"');
		expect(`${result.stdout}${result.stderr}`).not.toMatch(/[\u001b\u202e]/);
		// Not a terminal: progress is NDJSON on stderr, one line per row.
		const lines = result.stderr.trim().split('\n').map(l => JSON.parse(l) as {event: string; outcome?: string});
		expect(lines.filter(l => l.event === 'import.row').map(l => l.outcome)).toEqual(['imported', 'invalid', 'invalid']);
	});

	it('--dry-run prints the same report as the real run and changes nothing in either directory', async () => {
		const {lib, source} = mainScenario();
		await inProcess(lib).add({url: 'https://mirror.example.org/tails/tails-6.0-x86_64.iso', name: 'tails', version: '6.0'});
		const beforeLib = treeState(lib);
		const beforeSource = treeState(source.dir);
		const dry = await importJson(lib, source.dir, ['--dry-run'], 1);
		expect(dry.dry_run).toBe(true);
		expect(treeState(lib)).toEqual(beforeLib);
		expect(treeState(source.dir)).toEqual(beforeSource);

		const real = await importJson(lib, source.dir, [], 1);
		const shape = (r: Report) => r.rows.map(row => [row.isoman_id, row.outcome, row.status, row.method, row.field, row.file_path]);
		expect(shape(dry)).toEqual(shape(real));
		expect({...dry.totals, seconds: 0}).toEqual({...real.totals, seconds: 0});

		// A dry run on a library that does not exist yet creates nothing.
		const fresh = path.join(path.dirname(lib), 'not-yet');
		const report = await importJson(fresh, source.dir, ['--dry-run'], 1);
		expect(report.totals.imported).toBe(8);
		expect(fs.existsSync(fresh)).toBe(false);
	});

	it('--move: ISOMan\'s image files go once isoman holds them (a second --move run finishes a plain import\'s move)', async () => {
		const {lib, source} = scene([
			{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(40 * KiB, 8), verified: true},
			{name: 'debian', version: '12.5', arch: 'x86_64', status: 'complete', content: bytes(20 * KiB, 9)},
		]);
		const alpine = source.byName('alpine');
		const debian = source.byName('debian');
		// A plain import first (files linked, ISOMan keeps them), then --move removes ISOMan's names.
		await importJson(lib, source.dir);
		expect(fs.existsSync(alpine.absolutePath)).toBe(true);
		const moved = await importJson(lib, source.dir, ['--move']);
		expect(moved.rows.map(r => [r.outcome, r.moved])).toEqual([
			['already_imported', true],
			['already_imported', true],
		]);
		expect(fs.existsSync(alpine.absolutePath)).toBe(false);
		expect(fs.existsSync(debian.absolutePath)).toBe(false);
		const images = await listJson(lib);
		for (const image of images) {
			const file = path.join(lib, 'images', image.file_path);
			expect(sha256(fs.readFileSync(file))).toBe(image.checksum);
		}

		// A fresh library with --move from the start.
		const other = scene([{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(40 * KiB, 10), verified: true}]);
		const report = await importJson(other.lib, other.source.dir, ['--move']);
		expect(report.rows[0]).toMatchObject({outcome: 'imported', method: 'link', moved: true});
		expect(report.totals).toMatchObject({bytes_linked: 40 * KiB, bytes_moved: 40 * KiB});
		expect(fs.existsSync(other.source.byName('alpine').absolutePath)).toBe(false);
		expect((await checkLibrary(inProcess(other.lib).config)).violations).toEqual([]);
	});

	const tmpfs = mountTmpfs(16 * 1024 * KiB, 'isoman-import-fs-');
	afterAll(() => 'dir' in tmpfs && unmountTmpfs(tmpfs.dir));
	it.skipIf(!('dir' in tmpfs))(`copies (and with --move then deletes) files that are on another file system${'reason' in tmpfs ? ` (skipped: ${tmpfs.reason})` : ''}`, async () => {
		const mounted = (tmpfs as {dir: string}).dir;
		const {lib} = scene([]);
		const source = makeIsomanDir(path.join(mounted, 'isoman-data'), [
			{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(1024 * KiB, 12), verified: true},
			{name: 'debian', version: '12.5', arch: 'x86_64', status: 'complete', content: bytes(512 * KiB, 13)},
			{name: 'fedora', version: '40', arch: 'x86_64', status: 'complete', content: bytes(256 * KiB, 14), checksum: 'd'.repeat(64)},
		]);
		const before = treeState(source.dir);
		const report = await importJson(lib, source.dir, [], 1);
		expect(report.rows.map(r => [r.outcome, r.method])).toEqual([
			['imported', 'copy'],
			['imported', 'copy'],
			['checksum_mismatch', null],
		]);
		expect(report.totals).toMatchObject({bytes_linked: 0, bytes_copied: 1536 * KiB, bytes_moved: 0});
		const check = await checkLibrary(inProcess(lib).config);
		expect(check.violations).toEqual([]);
		expect(check.tmp).toEqual([]);
		for (const image of await listJson(lib)) {
			const file = path.join(lib, 'images', image.file_path);
			expect(fs.statSync(file).dev).not.toBe(fs.statSync(mounted).dev);
			expect(sha256(fs.readFileSync(file))).toBe(source.byName(image.name).sha256);
		}

		expect(treeState(source.dir)).toEqual(before);

		// --move across file systems: a copy, then ISOMan's file goes (only once isoman's copy is committed).
		const other = scene([]);
		const moved = await importJson(other.lib, source.dir, ['--move'], 1);
		expect(moved.rows.map(r => [r.outcome, r.method, r.moved])).toEqual([
			['imported', 'copy', true],
			['imported', 'copy', true],
			['checksum_mismatch', null, false],
		]);
		expect(moved.totals).toMatchObject({bytes_copied: 1536 * KiB, bytes_moved: 1536 * KiB});
		expect(fs.existsSync(source.byName('alpine').absolutePath)).toBe(false);
		expect(fs.existsSync(source.byName('fedora').absolutePath)).toBe(true);
		expect((await checkLibrary(inProcess(other.lib).config)).violations).toEqual([]);
	});

	it('accepts a catalogue from before ISOMan\'s migrations 2 and 3 (no counts, no events), with times in any zone ISOMan wrote', async () => {
		const {lib, source} = scene([{name: 'alpine', version: '3.19.1', arch: 'x86_64', status: 'complete', content: bytes(8 * KiB, 11), verified: true, zoneOffset: -300}], 1);
		const report = await importJson(lib, source.dir);
		expect(report.rows[0]).toMatchObject({outcome: 'imported', status: 'complete'});
		const [image] = (await listJson(lib)) as Array<ImageJson & {download_count: number}>;
		expect(image).toMatchObject({download_count: 0, created_at: source.rows[0]!.createdAt.toISOString(), completed_at: source.rows[0]!.completedAt!.toISOString()});
	});

	it('refuses what is not an ISOMan data directory (exit 2, nothing created) and a library a daemon runs (exit 1)', async () => {
		const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-import-'));
		roots.push(root);
		const lib = path.join(root, 'lib');
		const refuse = async (dir: string, pattern: RegExp) => {
			const result = await runCli(['--data-dir', lib, 'import', dir]);
			expect(result.code, result.stderr).toBe(2);
			expect(result.stderr).toMatch(pattern);
			expect(result.stderr).not.toMatch(/\n\s+at /);
			expect(result.stdout).toBe('');
		};

		await refuse(path.join(root, 'nope'), /invalid ISOMan data directory: ".*nope" does not exist/);
		fs.mkdirSync(path.join(root, 'empty'));
		await refuse(path.join(root, 'empty'), /no ISOMan catalogue at ".*empty\/db\/isos\.db"/);
		fs.mkdirSync(path.join(root, 'garbage', 'db'), {recursive: true});
		fs.writeFileSync(path.join(root, 'garbage', 'db', 'isos.db'), 'this is not a database, just text that is long enough to look like a header');
		await refuse(path.join(root, 'garbage'), /is not a SQLite database/);
		fs.mkdirSync(path.join(root, 'other', 'db'), {recursive: true});
		const other = new Database(path.join(root, 'other', 'db', 'isos.db'));
		other.exec('CREATE TABLE isos (id TEXT, title TEXT)');
		other.close();
		await refuse(path.join(root, 'other'), /is not ISOMan's catalogue: its table "isos" lacks name, version/);
		expect(fs.existsSync(path.join(lib, 'isoman.db'))).toBe(false);
		const own = path.join(root, 'own');
		await inProcess(own).add({url: 'https://mirror.example.org/alpine/alpine-3.20.3-x86_64.iso'});
		await refuse(own, /this looks like an isoman library, not an ISOMan data directory/);

		const {lib: running, source} = scene([{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'pending'}]);
		fakeLock(running, process.pid, 'daemon');
		const result = await runCli(['--data-dir', running, 'import', source.dir]);
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(new RegExp(`isoman daemon pid ${process.pid} runs this library .*stop it first`));
		expect(fs.existsSync(path.join(running, 'isoman.db'))).toBe(false);
	});

	it("never writes through a symbolic link in isoman's library: the row is reported, the place it points to is unchanged", async () => {
		const {root, lib, source} = scene([
			{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(16 * KiB, 15), verified: true},
			{name: 'debian', version: '12.5', arch: 'x86_64', status: 'complete', content: bytes(16 * KiB, 16), verified: true},
		]);
		const outside = path.join(root, 'outside');
		fs.mkdirSync(outside);
		fs.mkdirSync(path.join(lib, 'images'), {recursive: true});
		fs.symlinkSync(outside, path.join(lib, 'images', 'alpine'));
		const report = await importJson(lib, source.dir, [], 1);
		expect(report.rows.map(r => [r.outcome, r.field])).toEqual([
			['unsafe', 'file_path'],
			['imported', null],
		]);
		expect(report.rows[0]!.reason).toMatch(/symbolic link/);
		expect(fs.readdirSync(outside)).toEqual([]);
		expect((await listJson(lib)).map(i => i.name)).toEqual(['debian']);
	});

	it('Ctrl-C stops after cleaning up the row in progress: the rest are reported as not done, and a rerun finishes', async () => {
		const {lib, source} = scene(['alpine', 'debian', 'fedora', 'rocky'].map((name, i) => ({name, version: '1.0', arch: 'x86_64', status: 'complete', content: bytes(24 * 1024 * KiB, 40 + i), verified: true})));
		const child = spawn(process.execPath, [CLI, '--data-dir', lib, 'import', source.dir, '--json'], {env: childEnv(), stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
		child.stderr.setEncoding('utf8').on('data', (c: string) => {
			if (!stderr.includes('import.progress') && c.includes('import.progress')) child.kill('SIGINT');
			stderr += c;
		});
		const code = await new Promise<number | null>(resolve => child.once('close', resolve));
		expect(code, stderr).toBe(1);
		const report = JSON.parse(stdout) as Report;
		expect(report.rows.at(-1)).toMatchObject({outcome: 'error', reason: expect.stringContaining('interrupted')});
		const check = await checkLibrary(inProcess(lib).config);
		expect(check.violations).toEqual([]);
		expect(check.tmp).toEqual([]);
		const done = report.rows.filter(r => r.outcome === 'imported').length;
		expect((await listJson(lib)).length).toBe(done);

		const rerun = await importJson(lib, source.dir);
		expect(rerun.totals).toMatchObject({imported: 4 - done, skipped: done, not_imported: 0});
	});

	it('says which arguments it takes', async () => {
		const {lib} = scene([]);
		const none = await runCli(['--data-dir', lib, 'import']);
		expect(none.code).toBe(2);
		expect(none.stderr).toContain('import takes exactly one, the directory that holds');
		const misplaced = await runCli(['--data-dir', lib, 'list', '--move']);
		expect(misplaced.code).toBe(2);
		expect(misplaced.stderr).toContain('--move is not a flag of list');
		const help = await runCli(['import', '--help']);
		expect(help.stdout).toContain('Usage: isoman import ISOMAN_DATA_DIR [--move] [--dry-run] [--json]');
	});
});
