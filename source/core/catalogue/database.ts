/**
 * Opens the catalogue with the pragmas every process uses, and migrates it. The file (and SQLite's -wal/-shm
 * beside it) is created 0600: it may hold URLs with credentials. A link at any of those names, an empty file
 * left from something else, or a file that is not an SQLite database is refused with a clear IsomanError.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {O_NOFOLLOW, SymlinkError} from '../safe-fs.js';
import {IsomanError} from '../types.js';
import {migrate} from './migrations.js';

export type OpenOptions = {
	/** Migrate up to this version only (tests of old schemas). */
	targetVersion?: number;
	busyTimeoutMs?: number;
};

/**
 * A zero-byte catalogue this old is not one being created by a process starting at the same moment (SQLite writes
 * the header within milliseconds of creating the file): it is refused rather than taken for a new library.
 */
const EMPTY_GRACE_MS = 5000;

/** SQLite's result codes that mean "this file is not (or no longer) a usable database". */
const NOT_A_DATABASE = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE']);
const READ_ONLY = new Set(['SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_CANTINIT', 'SQLITE_IOERR_SHMOPEN']);

/** The error a person can act on, for an SQLite failure while opening `file`. */
export function catalogueError(file: string, error: unknown): unknown {
	const code = (error as {code?: unknown}).code;
	if (typeof code !== 'string') return error;
	const said = error instanceof Error ? error.message : String(error);
	if (NOT_A_DATABASE.has(code)) {
		return new IsomanError('io', `${file} is not a usable isoman catalogue (SQLite: ${said}); nothing was changed. Restore it from a backup, or move it away to start an empty library`);
	}

	if (READ_ONLY.has(code) || code.startsWith('SQLITE_READONLY')) {
		return new IsomanError('io', `cannot open the catalogue ${file} for writing (SQLite: ${said}): the data dir ${path.dirname(file)} must be writable by this user, even to list (SQLite keeps its lock files beside the catalogue)`);
	}

	return error;
}

function refuseLinksAndEmpty(file: string): void {
	for (const name of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
		if (fs.lstatSync(name, {throwIfNoEntry: false})?.isSymbolicLink()) throw new SymlinkError(name);
	}

	const stat = fs.statSync(file, {throwIfNoEntry: false});
	if (stat && stat.isFile() && stat.size === 0 && Date.now() - stat.mtimeMs > EMPTY_GRACE_MS) {
		throw new IsomanError(
			'io',
			`${file} is empty (0 bytes): it is not a catalogue, and isoman will not take it for a new library in case it was yours. Restore it from a backup, or delete it to start an empty library`,
		);
	}
}

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
	fs.mkdirSync(path.dirname(file), {recursive: true});
	refuseLinksAndEmpty(file);
	createPrivate(file);
	let db: Database.Database;
	try {
		db = new Database(file);
	} catch (error) {
		throw catalogueError(file, error);
	}

	try {
		db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
		enableWal(db, options.busyTimeoutMs ?? 5000);
		db.pragma('synchronous = FULL');
		db.pragma('foreign_keys = ON');
		migrate(db, file, options.targetVersion);
		tighten(file);
		return db;
	} catch (error) {
		db.close();
		throw catalogueError(file, error);
	}
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * `PRAGMA journal_mode = WAL`, retried while another process holds the file: switching a new catalogue to WAL
 * needs an exclusive lock, and SQLite answers SQLITE_BUSY at once there rather than calling the busy handler
 * (several processes starting on a fresh library at the same moment).
 */
function enableWal(db: Database.Database, timeoutMs: number): void {
	const deadline = Date.now() + timeoutMs;
	for (let attempt = 0; ; attempt++) {
		try {
			db.pragma('journal_mode = WAL');
			return;
		} catch (error) {
			const code = (error as {code?: unknown}).code;
			if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
			Atomics.wait(pause, 0, 0, Math.min(50, 2 + attempt * 2 + Math.floor(Math.random() * 5)));
		}
	}
}

/**
 * A new catalogue is created empty and 0600 before SQLite opens it (SQLite gives its -wal and -shm the catalogue's
 * mode). Exclusive: when another process created it first, that one is used.
 */
function createPrivate(file: string): void {
	try {
		// eslint-disable-next-line no-bitwise
		fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | O_NOFOLLOW, 0o600));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') return;
		if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
			throw new IsomanError('io', `cannot create the catalogue ${file}: ${(error as Error).message} (the data dir must be writable by this user)`);
		}

		throw error;
	}
}

/** A catalogue created by an older isoman was 0644: make it (and its -wal/-shm) 0600 when this user owns it. */
function tighten(file: string): void {
	for (const name of [file, `${file}-wal`, `${file}-shm`]) {
		try {
			const stat = fs.lstatSync(name);
			if (stat.isFile() && (stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(name, stat.mode & 0o700);
		} catch {}
	}
}
