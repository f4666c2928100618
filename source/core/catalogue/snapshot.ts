/**
 * A read-only look at a SQLite database in WAL mode that leaves nothing behind. Opening such a database in place,
 * even read-only, creates `<db>-wal` and `<db>-shm` beside it when no other connection has them open (and leaves
 * them there). So: when both exist (a live writer has the database open) it is opened in place read-only and should
 * be read in one transaction, a consistent snapshot that creates nothing; otherwise the file (and a leftover WAL) is
 * copied to a private temporary directory and the copy is opened read-only. Used for another program's catalogue
 * (ISOMan's) and for a dry run over isoman's own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Snapshot = {
	db: Database.Database;
	/** True when a writer had the database open (its WAL and shared-memory files were there). */
	live: boolean;
	/** Close the connection and remove the private copy, if any. Idempotent. */
	close(): void;
};

export type SnapshotOptions = {
	/** Open a private copy read-write (it may then be migrated; the original is never written). */
	writableCopy?: boolean;
};

export function openSnapshot(dbPath: string, options: SnapshotOptions = {}): Snapshot {
	const open = (file: string, readonly = true) => new Database(file, {readonly, fileMustExist: true});
	const live = fs.existsSync(`${dbPath}-wal`) && fs.existsSync(`${dbPath}-shm`);
	if (live) {
		try {
			const db = open(dbPath);
			return {db, live, close: () => db.open && db.close()};
		} catch {
			// e.g. its -shm is not writable by this user: read a copy instead.
		}
	}

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-snapshot-'));
	const removeCopy = () => fs.rmSync(dir, {recursive: true, force: true});
	try {
		const copy = path.join(dir, path.basename(dbPath));
		fs.copyFileSync(dbPath, copy);
		if (fs.existsSync(`${dbPath}-wal`)) fs.copyFileSync(`${dbPath}-wal`, `${copy}-wal`);
		const db = open(copy, !options.writableCopy);
		return {
			db,
			live,
			close() {
				if (db.open) db.close();
				removeCopy();
			},
		};
	} catch (error) {
		removeCopy();
		throw error;
	}
}
