/**
 * Reads the catalogue of an ISOMan (the Go/web ISO manager, v0.3.x) data directory, never writing to it.
 *
 * ISOMan keeps `<dir>/db/isos.db` (SQLite, WAL) with, after its migrations 1–3 (golang-migrate, version in
 * `schema_migrations`): table `isos` (id, name, version, arch, edition, file_type, filename, file_path,
 * download_link, size_bytes, checksum, checksum_type, download_url, checksum_url, status, progress, error_message,
 * created_at, completed_at, and from migration 2 download_count) and from migration 3 `download_events(id, iso_id,
 * downloaded_at)`. Images are at `<dir>/isos/<file_path>`. A database from before migrations 2 or 3 is read too
 * (no counts, no events); one without ISOMan's `isos` table is refused.
 * The database is read through `openSnapshot` (read-only, in one transaction, nothing left beside it).
 */
import fs from 'node:fs';
import path from 'node:path';
import {openSnapshot} from '../catalogue/snapshot.js';
import {quote} from '../naming.js';
import {IsomanError} from '../types.js';

/** One row of ISOMan's `isos`, as text (a value that is not text or a number is `undefined`: reported, not imported). */
export type SourceRow = {
	id: string;
	name: string | undefined;
	version: string | undefined;
	arch: string | undefined;
	edition: string | undefined;
	fileType: string | undefined;
	filename: string | undefined;
	filePath: string | undefined;
	sizeBytes: number;
	checksum: string;
	checksumType: string;
	downloadUrl: string | undefined;
	checksumUrl: string;
	status: string;
	errorMessage: string;
	/** ISO 8601 UTC, or undefined when ISOMan's value could not be read (`createdAtRaw` has it). */
	createdAt: string | undefined;
	createdAtRaw: string;
	completedAt: string | undefined;
	downloadCount: number;
	/** ISO 8601 UTC times of the downloads ISOMan recorded for this row. */
	downloadEvents: string[];
	/** Download events whose time could not be read (left out). */
	unreadableEvents: number;
};

export type SourceCatalogue = {
	dataDir: string;
	isosDir: string;
	dbPath: string;
	/** golang-migrate's version, when its table is there. */
	schemaVersion: number | null;
	hasDownloadCount: boolean;
	hasDownloadEvents: boolean;
	/** Oldest first (created_at, then id). */
	rows: SourceRow[];
	/** Things worth saying in the report (a dirty or newer schema, ISOMan apparently running). */
	warnings: string[];
};

/** The directory given is not ISOMan's, or its catalogue cannot be read: nothing was imported. */
export class SourceError extends IsomanError {
	constructor(message: string) {
		super('invalid', `ISOMan data directory: ${message}`, 'ISOMAN_DATA_DIR');
		this.name = 'SourceError';
	}
}

const REQUIRED = ['id', 'name', 'version', 'arch', 'edition', 'file_type', 'filename', 'file_path', 'download_url', 'status', 'created_at'] as const;
const OPTIONAL = ['size_bytes', 'checksum', 'checksum_type', 'checksum_url', 'error_message', 'completed_at'] as const;

/** Text of a column value; numbers become text (SQLite may store `24.04` as a number); anything else is undefined. */
function text(value: unknown): string | undefined {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	return undefined;
}

function integer(value: unknown): number {
	const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
	return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/**
 * A time as ISOMan's drivers wrote it, as ISO 8601 UTC: Go's `time.Time.String()` (modernc.org/sqlite's default,
 * `2024-05-01 10:30:00.123456789 +0200 CEST m=+0.01`), RFC 3339 (download events), SQLite's `CURRENT_TIMESTAMP`
 * (`2024-05-01 10:30:00`, UTC) and the other layouts that driver reads. Undefined when it is none of them.
 */
export function parseSourceTime(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) {
		const date = new Date(value > 1e12 ? value : value * 1000);
		return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
	}

	if (typeof value !== 'string' || value.length > 100) return undefined;
	const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Za-z]{1,6}|\s+[+-]\d{2,4})?(?:\s+m=[+-]?\d+(?:\.\d+)?)?$/.exec(value.trim());
	if (!m) return undefined;
	const [, day, hm = '00:00', seconds = '00', fraction = '', zone = 'Z'] = m;
	const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
	const date = new Date(`${day}T${hm}:${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
	return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function describeOpenError(dbPath: string, error: unknown): SourceError {
	const code = (error as {code?: string}).code;
	if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new SourceError(`${dbPath} is not a SQLite database, so not ISOMan's catalogue`);
	return new SourceError(`cannot read ${dbPath}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Read every row and download event of the ISOMan data directory `dir`. Throws SourceError when it is not one. */
export function readIsomanCatalogue(dir: string): SourceCatalogue {
	const dataDir = path.resolve(dir);
	const dbPath = path.join(dataDir, 'db', 'isos.db');
	const isosDir = path.join(dataDir, 'isos');
	const stat = fs.statSync(dataDir, {throwIfNoEntry: false});
	if (!stat) throw new SourceError(`${quote(dataDir, 200)} does not exist`);
	if (!stat.isDirectory()) throw new SourceError(`${quote(dataDir, 200)} is not a directory (give ISOMan's data directory, which holds db/isos.db and isos/)`);
	if (!fs.existsSync(dbPath)) {
		const hint = fs.existsSync(path.join(dataDir, 'isoman.db')) ? '; this looks like an isoman library, not an ISOMan data directory' : " (give ISOMan's data directory, which holds db/ and isos/)";
		throw new SourceError(`no ISOMan catalogue at ${quote(dbPath, 200)}${hint}`);
	}

	let snapshot;
	try {
		snapshot = openSnapshot(dbPath);
	} catch (error) {
		throw describeOpenError(dbPath, error);
	}

	const {db} = snapshot;
	try {
		return db.transaction(() => {
			const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).map(String));
			const columnsOf = (table: string) => new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).map(String));
			if (!tables.has('isos')) throw new SourceError(`${dbPath} is not ISOMan's catalogue: it has no table "isos"`);
			const columns = columnsOf('isos');
			const missing = REQUIRED.filter(c => !columns.has(c));
			if (missing.length > 0) throw new SourceError(`${dbPath} is not ISOMan's catalogue: its table "isos" lacks ${missing.join(', ')}`);

			const warnings: string[] = [];
			if (snapshot.live) warnings.push('ISOMan seems to be running (its write-ahead log is open): stop it so that nothing changes while the import runs');
			let schemaVersion: number | null = null;
			if (tables.has('schema_migrations')) {
				const row = db.prepare('SELECT version, dirty FROM schema_migrations LIMIT 1').get() as {version: unknown; dirty: unknown} | undefined;
				if (row) {
					schemaVersion = integer(row.version);
					if (row.dirty) warnings.push(`ISOMan's schema is marked dirty at version ${schemaVersion} (a migration failed); the rows were read as they are`);
					if (schemaVersion > 3) warnings.push(`ISOMan's schema is at version ${schemaVersion}, newer than the 3 this import knows; columns it does not know are ignored`);
				}
			}

			const hasDownloadCount = columns.has('download_count');
			const eventColumns = tables.has('download_events') ? columnsOf('download_events') : new Set<string>();
			const hasDownloadEvents = eventColumns.has('iso_id') && eventColumns.has('downloaded_at');
			const pick = [...REQUIRED, ...OPTIONAL.filter(c => columns.has(c)), ...(hasDownloadCount ? ['download_count'] : [])];
			const raw = db.prepare(`SELECT ${pick.map(c => `"${c}"`).join(', ')} FROM isos`).all() as Array<Record<string, unknown>>;

			const events = new Map<string, {times: string[]; unreadable: number}>();
			if (hasDownloadEvents) {
				for (const event of db.prepare('SELECT iso_id, downloaded_at FROM download_events ORDER BY id').iterate() as Iterable<{iso_id: unknown; downloaded_at: unknown}>) {
					const id = text(event.iso_id) ?? '';
					const entry = events.get(id) ?? {times: [], unreadable: 0};
					const ts = parseSourceTime(event.downloaded_at);
					if (ts) entry.times.push(ts);
					else entry.unreadable++;
					events.set(id, entry);
				}
			}

			const rows: SourceRow[] = raw.map(r => {
				const id = text(r['id']) ?? '';
				const history = events.get(id);
				return {
					id,
					name: text(r['name']),
					version: text(r['version']),
					arch: text(r['arch']),
					edition: text(r['edition']),
					fileType: text(r['file_type']),
					filename: text(r['filename']),
					filePath: text(r['file_path']),
					sizeBytes: integer(r['size_bytes']),
					checksum: (text(r['checksum']) ?? '').trim().toLowerCase(),
					checksumType: (text(r['checksum_type']) ?? '').trim().toLowerCase(),
					downloadUrl: text(r['download_url']),
					checksumUrl: (text(r['checksum_url']) ?? '').trim(),
					status: (text(r['status']) ?? '').trim(),
					errorMessage: text(r['error_message']) ?? '',
					createdAt: parseSourceTime(r['created_at']),
					createdAtRaw: text(r['created_at']) ?? '',
					completedAt: parseSourceTime(r['completed_at']),
					downloadCount: hasDownloadCount ? integer(r['download_count']) : 0,
					downloadEvents: history?.times ?? [],
					unreadableEvents: history?.unreadable ?? 0,
				};
			});
			rows.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id));
			return {dataDir, isosDir, dbPath, schemaVersion, hasDownloadCount, hasDownloadEvents, rows, warnings};
		})();
	} catch (error) {
		if (error instanceof SourceError) throw error;
		throw describeOpenError(dbPath, error);
	} finally {
		snapshot.close();
	}
}
