/**
 * One checker for the invariants of a library on disk, used after every kill by the crash harness and by
 * the recovery and disk-full tests. It reads; it never repairs.
 *
 *   integrity   PRAGMA integrity_check = ok
 *   files       a file under images/ (outside .tmp) is the file or the sidecar of a `complete` row, with exactly the
 *               verified content (invariant 1) — or the sidecar of a `missing` row (a complete row whose file
 *               vanished); anything else must be listed in `allowedFiles`
 *   parts       a .part in images/.tmp belongs to a pending, downloading, paused or verifying row (invariant 2)
 *   progress    an unfinished row's downloaded_bytes ≤ its .part's size, 0 without one (invariant 3)
 *   complete    a complete row's file exists with its size and verified digest, and its sidecar names it (invariant 4)
 *   settled     (once recovery ran, nothing in flight) no row is downloading or verifying
 *
 * `settled: false` checks a library at the instant of a kill, before recovery: then a `verifying` row may already
 * have its file in place (the rename precedes the commit) as long as that file is right, and a half-written sidecar
 * may be lying next to it. Everything else must hold at every instant.
 *
 * A kill between two migrations (each is its own transaction) leaves an older schema, which the next open brings up
 * to date: the rows are then read from a migrated copy, the library itself left as it is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {LATEST_VERSION, migrate} from '../../source/core/catalogue/migrations.js';
import type {Config} from '../../source/config.js';
import {Catalogue} from '../../source/core/catalogue/repository.js';
import {hashFile, isSidecarTempName, sidecarFileName, sidecarLine} from '../../source/core/checksum/index.js';
import type {Image} from '../../source/core/types.js';

export type CheckOptions = {
	/** Recovery has run and no operation is in flight (default true). */
	settled?: boolean;
	/**
	 * Paths relative to images/ that may be there whatever their row says: files a user put there (untracked), or a
	 * file kept on purpose under a failed row (corrupt, or a different file found at an image's path).
	 */
	allowedFiles?: readonly string[];
	/** Use this open connection instead of opening the database read-only (e.g. while a Manager has it open). */
	db?: Database.Database;
};

export type CheckResult = {
	/** Empty when every invariant holds; otherwise one readable line per broken rule. */
	violations: string[];
	rows: Image[];
	/** Names in images/.tmp. */
	tmp: string[];
	/** Files under images/ outside .tmp, relative to images/. */
	files: string[];
};

type Paths = Pick<Config, 'dbPath' | 'imagesDir' | 'tmpDir'>;

const UNFINISHED = new Set(['pending', 'downloading', 'paused', 'verifying']);

/** Digests of files already hashed, keyed by identity and size/mtime (the harness checks the same files often). */
const hashCache = new Map<string, string>();

async function digestOf(file: string, algorithm: NonNullable<Image['checksumType']>): Promise<string> {
	const stat = fs.statSync(file);
	const key = `${file}\0${algorithm}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}`;
	const cached = hashCache.get(key);
	if (cached) return cached;
	const {hex} = await hashFile(file, algorithm);
	hashCache.set(key, hex);
	return hex;
}

function walk(dir: string, skip: string): string[] {
	if (!fs.existsSync(dir)) return [];
	return fs.readdirSync(dir, {withFileTypes: true}).flatMap(entry => {
		const full = path.join(dir, entry.name);
		if (full === skip) return [];
		return entry.isDirectory() ? walk(full, skip) : [full];
	});
}

/** What a verified file must hash to: the expected digest, else the digest recorded when it was downloaded. */
const referenceOf = (image: Image) => image.expectedChecksum ?? image.checksum;

/** The rows of the catalogue at `dbPath` (and its WAL) once migrated, read from a copy in a temp dir. */
function rowsOfMigratedCopy(dbPath: string): Image[] {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-check-'));
	try {
		const copy = path.join(dir, 'isoman.db');
		fs.copyFileSync(dbPath, copy);
		if (fs.existsSync(`${dbPath}-wal`)) fs.copyFileSync(`${dbPath}-wal`, `${copy}-wal`);
		const db = new Database(copy);
		try {
			migrate(db, copy);
			return new Catalogue(db).list();
		} finally {
			db.close();
		}
	} finally {
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

export async function checkLibrary(paths: Paths, options: CheckOptions = {}): Promise<CheckResult> {
	const settled = options.settled ?? true;
	const violations: string[] = [];
	const db = options.db ?? new Database(paths.dbPath, {readonly: true, fileMustExist: true});
	let rows: Image[];
	try {
		const integrity = db.pragma('integrity_check', {simple: true}) as string;
		if (integrity !== 'ok') violations.push(`integrity_check: ${integrity}`);
		rows = (db.pragma('user_version', {simple: true}) as number) < LATEST_VERSION ? rowsOfMigratedCopy(paths.dbPath) : new Catalogue(db).list();
	} finally {
		if (!options.db) db.close();
	}

	const byId = new Map(rows.map(image => [image.id, image]));
	const allowed = new Set(options.allowedFiles ?? []);
	const finalOf = (image: Image) => path.join(paths.imagesDir, image.filePath);
	const sidecarOf = (image: Image) => (image.checksumType ? path.join(path.dirname(finalOf(image)), sidecarFileName(image.filename, image.checksumType)) : undefined);
	const owners = new Map<string, {image: Image; kind: 'image' | 'sidecar'}>();
	for (const image of rows) {
		owners.set(finalOf(image), {image, kind: 'image'});
		const sidecar = sidecarOf(image);
		if (sidecar) owners.set(sidecar, {image, kind: 'sidecar'});
	}

	// Files under images/ (invariant 1).
	const files = walk(paths.imagesDir, paths.tmpDir);
	for (const file of files) {
		const relative = path.relative(paths.imagesDir, file);
		if (allowed.has(relative)) continue;
		const owner = owners.get(file);
		if (!owner) {
			if (!settled && isSidecarTempName(path.basename(file))) continue;
			violations.push(`${relative}: a file no row claims`);
			continue;
		}

		const {image, kind} = owner;
		const inFinishWindow = !settled && image.status === 'verifying';
		// A missing row is a complete row whose file vanished: its sidecar stays until retry (verify may bring it back).
		if (kind === 'sidecar' && image.status === 'missing') continue;
		if (image.status !== 'complete' && !inFinishWindow) {
			violations.push(`${relative}: the ${kind} of ${image.id}, which is ${image.status} (only complete rows own files)`);
			continue;
		}

		const reference = referenceOf(image);
		if (!reference || !image.checksumType) {
			// Only an adopted file can sit under a verifying row without a digest yet, and adoption needs one.
			violations.push(`${relative}: the ${kind} of ${image.id} (${image.status}), which has no digest to be verified against`);
			continue;
		}

		if (kind === 'image') {
			const hex = await digestOf(file, image.checksumType);
			if (hex !== reference) violations.push(`${relative}: ${image.checksumType} ${hex}, but ${image.id} (${image.status}) expects ${reference}`);
		} else {
			const expected = sidecarLine(reference, image.filename);
			const actual = fs.readFileSync(file, 'utf8');
			if (actual !== expected) violations.push(`${relative}: sidecar says ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
		}
	}

	// Temporary files (invariant 2).
	const tmp = fs.existsSync(paths.tmpDir) ? fs.readdirSync(paths.tmpDir) : [];
	const partSize = new Map<string, number>();
	for (const entry of tmp) {
		const id = entry.endsWith('.part') ? entry.slice(0, -'.part'.length) : undefined;
		const owner = id === undefined ? undefined : byId.get(id);
		if (!owner) violations.push(`.tmp/${entry}: no row owns it`);
		else if (!UNFINISHED.has(owner.status)) violations.push(`.tmp/${entry}: its row ${owner.id} is ${owner.status}`);
		else partSize.set(owner.id, fs.statSync(path.join(paths.tmpDir, entry)).size);
	}

	for (const image of rows) {
		// Invariant 3.
		if (UNFINISHED.has(image.status)) {
			// Between the rename and the commit the bytes are in the final file (checked above) instead of the .part.
			const placed = !settled && image.status === 'verifying' && !partSize.has(image.id) && fs.existsSync(finalOf(image));
			const size = placed ? fs.statSync(finalOf(image)).size : (partSize.get(image.id) ?? 0);
			if (image.downloadedBytes > size) {
				violations.push(`${image.id} (${image.status}): downloaded_bytes ${image.downloadedBytes} > ${size} bytes in its .part`);
			}
		}

		if (settled && (image.status === 'downloading' || image.status === 'verifying')) {
			violations.push(`${image.id}: still ${image.status} after recovery`);
		}

		// Invariant 4.
		if (image.status === 'complete') {
			const file = finalOf(image);
			const reference = referenceOf(image);
			if (!fs.existsSync(file)) {
				violations.push(`${image.id} is complete but ${image.filePath} does not exist`);
				continue;
			}

			if (!reference || !image.checksumType) {
				violations.push(`${image.id} is complete without a digest`);
				continue;
			}

			if (image.expectedChecksum && image.checksum !== image.expectedChecksum) {
				violations.push(`${image.id} is complete with checksum ${image.checksum} ≠ expected ${image.expectedChecksum}`);
			}

			const size = fs.statSync(file).size;
			if (image.sizeBytes !== size || image.downloadedBytes !== size) {
				violations.push(`${image.id} is complete with size_bytes ${image.sizeBytes} / downloaded_bytes ${image.downloadedBytes}, but its file has ${size} bytes`);
			}

			const sidecar = sidecarOf(image)!;
			if (!fs.existsSync(sidecar)) violations.push(`${image.id} is complete but its sidecar ${path.relative(paths.imagesDir, sidecar)} is missing`);
			// The file's digest was compared above (it is under images/, so the walk saw it).
		}
	}

	return {violations, rows, tmp, files: files.map(file => path.relative(paths.imagesDir, file))};
}
