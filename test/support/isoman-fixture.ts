/**
 * ISOMan-shaped data directories for the import tests, written the way ISOMan v0.3.x lays them out:
 *
 *   <dir>/db/isos.db          SQLite in WAL mode; golang-migrate's `schema_migrations(version, dirty)`;
 *                             migration 1: table `isos`; 2: `isos.download_count`; 3: `download_events`
 *   <dir>/isos/<file_path>    the image, file_path = name/version/arch/filename (Go's filepath.Join, which cleans
 *                             `..` away: ISOMan never checked version or arch)
 *   <dir>/isos/<file>.<type>  the publisher's checksum file ISOMan saved beside a verified image
 *
 * The DDL below is written for these tests from ISOMan's column list (its migrations 1–3); times are written as
 * ISOMan's driver (modernc.org/sqlite) writes a Go time.Time — `time.Time.String()`, monotonic reading included —
 * and download events as RFC 3339, as ISOMan records them.
 */
import {createHash, randomUUID} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const MIGRATIONS: Record<1 | 2 | 3, string> = {
	1: `CREATE TABLE IF NOT EXISTS isos (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		version TEXT NOT NULL,
		arch TEXT NOT NULL,
		edition TEXT NOT NULL DEFAULT '',
		file_type TEXT NOT NULL,
		filename TEXT NOT NULL,
		file_path TEXT NOT NULL,
		download_link TEXT NOT NULL,
		size_bytes INTEGER DEFAULT 0,
		checksum TEXT DEFAULT '',
		checksum_type TEXT DEFAULT '',
		download_url TEXT NOT NULL,
		checksum_url TEXT DEFAULT '',
		status TEXT NOT NULL,
		progress INTEGER DEFAULT 0,
		error_message TEXT DEFAULT '',
		created_at TIMESTAMP NOT NULL,
		completed_at TIMESTAMP,
		UNIQUE(name, version, arch, edition, file_type)
	);`,
	2: 'ALTER TABLE isos ADD COLUMN download_count INTEGER DEFAULT 0;',
	3: `CREATE TABLE IF NOT EXISTS download_events (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		iso_id TEXT NOT NULL,
		downloaded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
		FOREIGN KEY (iso_id) REFERENCES isos(id) ON DELETE CASCADE
	);
	CREATE INDEX idx_download_events_downloaded_at ON download_events(downloaded_at);
	CREATE INDEX idx_download_events_iso_id ON download_events(iso_id);`,
};

/** Go's `time.Time.String()` for `date` in a zone `offsetMinutes` east of UTC: `2024-05-01 12:30:00.123456789 +0200 CEST m=+3.000000001`. */
export function goTimeString(date: Date, offsetMinutes = 0, zone = offsetMinutes === 0 ? 'UTC' : 'CET', monotonic = true): string {
	const local = new Date(date.getTime() + offsetMinutes * 60_000);
	const iso = local.toISOString(); // the wall clock of that zone, written with a Z we drop
	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
	const nanos = `${iso.slice(20, 23)}456789`;
	return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${nanos} ${offset} ${zone}${monotonic ? ' m=+12.345678901' : ''}`;
}

export type IsomanRowSpec = {
	id?: string;
	name: string;
	version: string;
	arch: string;
	edition?: string;
	fileType?: string;
	status: 'pending' | 'downloading' | 'verifying' | 'complete' | 'failed' | string;
	/** Content of the image file, written at isos/<file_path>; none when undefined. */
	content?: Buffer;
	/** Store the file's real digest in `checksum` (ISOMan verified it against a checksum file). */
	verified?: boolean;
	/** An explicit checksum (e.g. a wrong one). */
	checksum?: string;
	checksumType?: string;
	checksumUrl?: string;
	downloadUrl?: string;
	errorMessage?: string;
	createdAt?: Date;
	completedAt?: Date | null;
	downloadCount?: number;
	downloads?: Date[];
	/** Overrides the computed file_path. */
	filePath?: string;
	/** Offset (minutes east of UTC) of the zone ISOMan ran in. */
	zoneOffset?: number;
};

export type IsomanRow = Required<Pick<IsomanRowSpec, 'id' | 'name' | 'version' | 'arch' | 'status'>> & {
	edition: string;
	fileType: string;
	filename: string;
	filePath: string;
	checksum: string;
	checksumType: string;
	createdAt: Date;
	completedAt: Date | null;
	downloadCount: number;
	downloads: Date[];
	/** Absolute path of the image file (whether or not it exists). */
	absolutePath: string;
	sha256?: string;
};

export type IsomanDir = {dir: string; dbPath: string; isosDir: string; rows: IsomanRow[]; byName(name: string, arch?: string): IsomanRow};

const sha = (alg: string, data: Buffer) => createHash(alg).update(data).digest('hex');

let clock = Date.parse('2024-03-01T08:00:00Z');

/** Build `<dir>` as ISOMan would have left it after creating and downloading `specs` (schema at `migrations`). */
export function makeIsomanDir(dir: string, specs: IsomanRowSpec[], migrations: 1 | 2 | 3 = 3): IsomanDir {
	const dbPath = path.join(dir, 'db', 'isos.db');
	const isosDir = path.join(dir, 'isos');
	fs.mkdirSync(path.dirname(dbPath), {recursive: true});
	fs.mkdirSync(path.join(isosDir, '.tmp'), {recursive: true});
	const db = new Database(dbPath);
	db.pragma('journal_mode = WAL');
	db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version uint64, dirty bool); CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);');
	for (let v = 1 as 1 | 2 | 3; v <= migrations; v = (v + 1) as 1 | 2 | 3) db.exec(MIGRATIONS[v]);
	db.prepare('INSERT INTO schema_migrations (version, dirty) VALUES (?, 0)').run(migrations);

	const rows: IsomanRow[] = [];
	for (const spec of specs) {
		const id = spec.id ?? randomUUID();
		const edition = spec.edition ?? '';
		const fileType = spec.fileType ?? 'iso';
		const filename = `${[spec.name, spec.version, ...(edition ? [edition] : []), spec.arch].join('-')}.${fileType}`;
		const filePath = spec.filePath ?? path.posix.join(spec.name, spec.version, spec.arch, filename);
		const checksumType = spec.checksumType ?? (spec.verified || spec.checksum || spec.checksumUrl ? 'sha256' : '');
		const checksum = spec.checksum ?? (spec.verified && spec.content ? sha(checksumType || 'sha256', spec.content) : '');
		clock += 3_600_000;
		const createdAt = spec.createdAt ?? new Date(clock);
		const completedAt = spec.completedAt === undefined ? (spec.status === 'complete' ? new Date(createdAt.getTime() + 120_000) : null) : spec.completedAt;
		const absolutePath = path.join(isosDir, filePath);
		if (spec.content) {
			fs.mkdirSync(path.dirname(absolutePath), {recursive: true});
			fs.writeFileSync(absolutePath, spec.content);
			if (checksum) fs.writeFileSync(`${absolutePath}.${checksumType}`, `${checksum}  ${path.basename(spec.downloadUrl ?? filename)}\n`);
		}

		const values: Record<string, unknown> = {
			id,
			name: spec.name,
			version: spec.version,
			arch: spec.arch,
			edition,
			file_type: fileType,
			filename,
			file_path: filePath,
			download_link: `/images/${filePath}`,
			size_bytes: spec.content?.length ?? 0,
			checksum,
			checksum_type: checksumType,
			download_url: spec.downloadUrl ?? `https://mirror.example.org/${spec.name}/${filename}`,
			checksum_url: spec.checksumUrl ?? (checksum ? `https://mirror.example.org/${spec.name}/SHA256SUMS` : ''),
			status: spec.status,
			progress: spec.status === 'complete' ? 100 : 0,
			error_message: spec.errorMessage ?? '',
			created_at: goTimeString(createdAt, spec.zoneOffset ?? 0),
			completed_at: completedAt ? goTimeString(completedAt, spec.zoneOffset ?? 0) : null,
		};
		if (migrations >= 2) values['download_count'] = spec.downloadCount ?? 0;
		const columns = Object.keys(values);
		db.prepare(`INSERT INTO isos (${columns.join(', ')}) VALUES (${columns.map(c => '@' + c).join(', ')})`).run(values);
		const downloads = migrations >= 3 ? (spec.downloads ?? []) : [];
		for (const at of downloads) db.prepare('INSERT INTO download_events (iso_id, downloaded_at) VALUES (?, ?)').run(id, at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
		rows.push({
			id,
			name: spec.name,
			version: spec.version,
			arch: spec.arch,
			status: spec.status,
			edition,
			fileType,
			filename,
			filePath,
			checksum,
			checksumType,
			createdAt,
			completedAt,
			downloadCount: migrations >= 2 ? (spec.downloadCount ?? 0) : 0,
			downloads,
			absolutePath,
			sha256: spec.content ? sha('sha256', spec.content) : undefined,
		});
	}

	db.close();
	return {
		dir,
		dbPath,
		isosDir,
		rows,
		byName(name, arch) {
			const row = rows.find(r => r.name === name && (arch === undefined || r.arch === arch));
			if (!row) throw new Error(`no fixture row ${name} ${arch ?? ''}`);
			return row;
		},
	};
}

/** Every file and directory under `dir` with its size, mode, mtime and sha256: compare before/after to prove nothing changed. */
export function treeState(dir: string): Record<string, string> {
	const out: Record<string, string> = {};
	const walk = (d: string) => {
		for (const entry of fs.readdirSync(d, {withFileTypes: true})) {
			const full = path.join(d, entry.name);
			const stat = fs.lstatSync(full);
			const rel = path.relative(dir, full);
			if (entry.isDirectory()) {
				out[rel + '/'] = `dir ${stat.mode.toString(8)}`;
				walk(full);
			} else if (entry.isSymbolicLink()) {
				out[rel] = `link -> ${fs.readlinkSync(full)}`;
			} else {
				out[rel] = `${stat.size} ${stat.mode.toString(8)} ${stat.mtimeMs} ${sha('sha256', fs.readFileSync(full))}`;
			}
		}
	};

	if (fs.existsSync(dir)) walk(dir);
	return out;
}

/** Deterministic pseudo-random bytes (content of test images). */
export function bytes(size: number, seed: number): Buffer {
	const out = Buffer.allocUnsafe(size);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < size; i += 4) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
	}

	return out;
}
