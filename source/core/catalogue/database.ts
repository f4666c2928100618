/** Opens the catalogue with the pragmas every process uses, and migrates it. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {migrate} from './migrations.js';

export type OpenOptions = {
	/** Migrate up to this version only (tests of old schemas). */
	targetVersion?: number;
	busyTimeoutMs?: number;
};

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
	fs.mkdirSync(path.dirname(file), {recursive: true});
	const db = new Database(file);
	try {
		db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
		db.pragma('journal_mode = WAL');
		db.pragma('synchronous = FULL');
		db.pragma('foreign_keys = ON');
		migrate(db, file, options.targetVersion);
		return db;
	} catch (error) {
		db.close();
		throw error;
	}
}
