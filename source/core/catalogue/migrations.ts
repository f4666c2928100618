/**
 * Versioned schema. `PRAGMA user_version` holds the version; each migration runs in its own transaction.
 * Append only: never edit a migration that has shipped.
 */
import type Database from 'better-sqlite3';
import {STATUSES} from '../types.js';

const statusList = STATUSES.map(s => `'${s}'`).join(', ');

export const MIGRATIONS: ReadonlyArray<{version: number; description: string; sql: string}> = [
	{
		version: 1,
		description: 'images and their audit events',
		sql: `
			CREATE TABLE images (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				version TEXT NOT NULL,
				arch TEXT NOT NULL,
				edition TEXT NOT NULL DEFAULT '',
				file_type TEXT NOT NULL,
				filename TEXT NOT NULL,
				file_path TEXT NOT NULL,
				size_bytes INTEGER,
				downloaded_bytes INTEGER NOT NULL DEFAULT 0,
				status TEXT NOT NULL CHECK (status IN (${statusList})),
				checksum TEXT,
				checksum_type TEXT,
				expected_checksum TEXT,
				download_url TEXT NOT NULL,
				checksum_url TEXT,
				error_code TEXT,
				error_message TEXT,
				etag TEXT,
				last_modified TEXT,
				attempts INTEGER NOT NULL DEFAULT 0,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL,
				completed_at TEXT
			);
			CREATE UNIQUE INDEX images_identity ON images (name, version, arch, edition, file_type);
			CREATE UNIQUE INDEX images_path ON images (file_path);
			CREATE INDEX images_status ON images (status, created_at);
			CREATE TABLE events (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				image_id TEXT NOT NULL,
				ts TEXT NOT NULL,
				kind TEXT NOT NULL,
				detail TEXT
			);
			CREATE INDEX events_image ON events (image_id, id);
			CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
				BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
			CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
				BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
		`,
	},
	{
		version: 2,
		description: 'commands queued by other processes for the process that holds the library lock',
		sql: `
			CREATE TABLE commands (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				action TEXT NOT NULL,
				image_id TEXT,
				created_at TEXT NOT NULL,
				requested_by INTEGER
			);
		`,
	},
	{
		version: 3,
		description: 'download accounting for the HTTP server, and the time of the last good integrity check',
		sql: `
			ALTER TABLE images ADD COLUMN download_count INTEGER NOT NULL DEFAULT 0;
			ALTER TABLE images ADD COLUMN bytes_served INTEGER NOT NULL DEFAULT 0;
			ALTER TABLE images ADD COLUMN verified_at TEXT;
			CREATE TABLE download_events (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				image_id TEXT NOT NULL,
				ts TEXT NOT NULL
			);
			CREATE INDEX download_events_ts ON download_events (ts);
			CREATE INDEX download_events_image ON download_events (image_id, ts);
		`,
	},
	{
		version: 4,
		description: 'where imported images came from, so an import can be run again and finish what a crash cut short',
		sql: `
			CREATE TABLE imports (
				source_id TEXT PRIMARY KEY,
				image_id TEXT NOT NULL,
				source_dir TEXT NOT NULL,
				started_at TEXT NOT NULL,
				finished_at TEXT
			);
			CREATE INDEX imports_image ON imports (image_id);
		`,
	},
	{
		version: 5,
		description: 'moves of a complete image to a new path, recorded before the disk is touched (recovery finishes them)',
		sql: `
			CREATE TABLE moves (
				image_id TEXT PRIMARY KEY,
				from_json TEXT NOT NULL,
				to_json TEXT NOT NULL,
				created_at TEXT NOT NULL
			);
		`,
	},
	{
		version: 6,
		description: 'bandwidth limits: per image, the library-wide one, and an argument for queued commands (the new rate)',
		sql: `
			ALTER TABLE images ADD COLUMN max_rate INTEGER CHECK (max_rate IS NULL OR max_rate > 0);
			ALTER TABLE commands ADD COLUMN argument TEXT;
			CREATE TABLE settings (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL
			);
		`,
	},
	{
		version: 7,
		description: 'replies to queued commands: a command row keeps its outcome until the sender has read it',
		sql: `
			ALTER TABLE commands ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
			ALTER TABLE commands ADD COLUMN reply TEXT;
			ALTER TABLE commands ADD COLUMN replied_at TEXT;
		`,
	},
	{
		version: 8,
		description: 'OpenPGP signatures: signature URL, key pin, who signed, and the signed material kept for later checks',
		sql: `
			ALTER TABLE images ADD COLUMN signature_url TEXT;
			ALTER TABLE images ADD COLUMN signing_key TEXT;
			ALTER TABLE images ADD COLUMN require_signature INTEGER NOT NULL DEFAULT 0;
			ALTER TABLE images ADD COLUMN signed_by_fingerprint TEXT;
			ALTER TABLE images ADD COLUMN signed_by_user_id TEXT;
			ALTER TABLE images ADD COLUMN signed_at TEXT;
			CREATE TABLE signed_material (
				image_id TEXT PRIMARY KEY,
				checksum_file BLOB,
				signature BLOB
			);
		`,
	},
];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;

export class SchemaTooNewError extends Error {
	constructor(
		readonly found: number,
		readonly known: number,
		file: string,
	) {
		super(`${file} has schema version ${found}, but this isoman knows only up to ${known}: upgrade isoman (the database was not changed)`);
		this.name = 'SchemaTooNewError';
	}
}

/**
 * Bring `db` to `target` (default: latest). Refuses a database newer than this program knows. Safe when several
 * processes start on the same file at once: each migration's transaction takes the write lock first (IMMEDIATE)
 * and re-reads the version inside it, so a migration another process has just applied is skipped, never re-run.
 */
export function migrate(db: Database.Database, file: string, target = LATEST_VERSION): number {
	const version = () => db.pragma('user_version', {simple: true}) as number;
	const current = version();
	if (current > LATEST_VERSION) throw new SchemaTooNewError(current, LATEST_VERSION, file);
	for (const migration of MIGRATIONS) {
		if (migration.version <= current || migration.version > target) continue;
		db.transaction(() => {
			const now = version();
			if (now > LATEST_VERSION) throw new SchemaTooNewError(now, LATEST_VERSION, file);
			if (now >= migration.version) return;
			db.exec(migration.sql);
			db.pragma(`user_version = ${migration.version}`);
		}).immediate();
	}

	return version();
}
