/**
 * What an import does with each ISOMan row, decided before anything is written: the row's values checked by
 * isoman's naming rules, its file looked at (never followed through a symlink, never outside ISOMan's isos/), two
 * rows that make one isoman image resolved, and the library asked what it already holds.
 *
 *   complete, file present   → `file`: linked / copied / moved in, hashed, compared with ISOMan's checksum
 *   complete, file gone      → `row` missing
 *   pending, downloading,    → `row` pending (isoman downloads it again; ISOMan's partial file is not used)
 *   verifying
 *   failed                   → `row` failed, with ISOMan's message
 *   a value isoman's rules refuse, an unknown status, an unsafe file → `reject` (row, field, rule)
 *   already imported by an earlier run → `skip` already_imported (an unfinished one is resumed instead)
 *   its identity already in the library → `skip` duplicate
 *   a second row making the same isoman image → `skip` conflict (the complete one, else the older, wins)
 */
import fs from 'node:fs';
import path from 'node:path';
import type {ImportRecord} from '../catalogue/import-records.js';
import {hexLength, isChecksumAlgorithm} from '../checksum/index.js';
import {archSchema, editionSchema, httpUrlSchema, IMAGE_TYPES, nameSchema, quote, resolveInside, versionSchema} from '../naming.js';
import type {ChecksumAlgorithm, ErrorCode, Image} from '../types.js';
import type {SourceRow} from './isoman-catalogue.js';

/** Where the image goes in isoman's library. */
export type Target = Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType' | 'filename' | 'filePath' | 'downloadUrl' | 'checksumUrl'>;

/** The image file in ISOMan's tree, as it was when looked at (a regular file, not a symlink). */
export type SourceFile = {path: string; size: number; dev: number; ino: number; mtimeMs: number};

export type RejectOutcome = 'invalid' | 'unsafe' | 'file_exists';
export type SkipOutcome = 'already_imported' | 'duplicate' | 'conflict';

export type Planned =
	| {action: 'reject'; row: SourceRow; outcome: RejectOutcome; field: string; reason: string}
	| {action: 'skip'; row: SourceRow; outcome: SkipOutcome; target: Target; imageId?: string; reason: string; source?: SourceFile}
	| {action: 'file'; row: SourceRow; target: Target; source: SourceFile; algorithm: ChecksumAlgorithm; expected: string | null; resume?: Image}
	| {action: 'row'; row: SourceRow; target: Target; as: 'missing' | 'pending' | 'failed'; resume?: Image};

/** What planning needs to know about the library (read-only). */
export type LibraryView = {
	get(id: string): Image | undefined;
	identity(target: Target): string | undefined;
	record(sourceId: string): ImportRecord | undefined;
	recordOf(imageId: string): ImportRecord | undefined;
	/** An entry (of any kind) exists at this path relative to images/. */
	exists(relativePath: string): boolean;
};

const STATUSES = new Set(['pending', 'downloading', 'verifying', 'complete', 'failed']);

type Checked = {ok: true; target: Target} | {ok: false; field: string; reason: string};

function schemaCheck<T>(schema: {safeParse(v: unknown): {success: true; data: T} | {success: false; error: {issues: Array<{message: string}>}}}, field: string, value: string | undefined): {ok: true; value: T} | {ok: false; field: string; reason: string} {
	if (value === undefined) return {ok: false, field, reason: `${field}: is not text`};
	const result = schema.safeParse(value);
	if (result.success) return {ok: true, value: result.data};
	const message = result.error.issues[0]?.message ?? `${field}: is not valid`;
	// isoman's schemas name their own field (`url`); the report names ISOMan's column.
	return {ok: false, field, reason: message.replace(/^[a-z_]+:/, `${field}:`)};
}

/** The row's values by isoman's rules (names normalised, arch canonical, version/arch/edition refused, not rewritten). */
export function checkRow(row: SourceRow): Checked {
	if (!STATUSES.has(row.status)) return {ok: false, field: 'status', reason: `status: ${quote(row.status)} is not one of ISOMan's (pending, downloading, verifying, complete, failed)`};
	const name = schemaCheck(nameSchema, 'name', row.name);
	if (!name.ok) return name;
	const version = schemaCheck(versionSchema, 'version', row.version);
	if (!version.ok) return version;
	const arch = schemaCheck(archSchema, 'arch', row.arch);
	if (!arch.ok) return arch;
	let edition: string | null = null;
	if (row.edition === undefined || row.edition.trim() !== '') {
		const checked = schemaCheck(editionSchema, 'edition', row.edition);
		if (!checked.ok) return checked;
		edition = checked.value;
	}

	const fileType = (row.fileType ?? '').trim().toLowerCase();
	if (!(IMAGE_TYPES as readonly string[]).includes(fileType)) {
		return {ok: false, field: 'file_type', reason: `file_type: ${quote(row.fileType ?? '')} is not one of ${IMAGE_TYPES.join(', ')}`};
	}

	const url = schemaCheck(httpUrlSchema('download_url'), 'download_url', row.downloadUrl);
	if (!url.ok) return url;
	let checksumUrl: string | null = null;
	if (row.checksumUrl !== '') {
		const checked = schemaCheck(httpUrlSchema('checksum_url'), 'checksum_url', row.checksumUrl);
		if (!checked.ok) return checked;
		checksumUrl = checked.value;
	}

	const filename = `${name.value}-${version.value}${edition === null ? '' : `-${edition}`}-${arch.value}.${fileType}`;
	return {
		ok: true,
		target: {
			name: name.value,
			version: version.value,
			arch: arch.value,
			edition,
			fileType,
			filename,
			filePath: `${name.value}/${version.value}/${arch.value}/${filename}`,
			downloadUrl: url.value,
			checksumUrl,
		},
	};
}

/** The algorithm and expected digest of a complete row, or why they cannot be used. */
export function checksumOf(row: SourceRow): {ok: true; algorithm: ChecksumAlgorithm; expected: string | null} | {ok: false; field: string; reason: string} {
	const type = row.checksumType;
	if (row.checksum === '') return {ok: true, algorithm: type !== '' && isChecksumAlgorithm(type) ? type : 'sha256', expected: null};
	const algorithm = type === '' ? 'sha256' : type;
	if (!isChecksumAlgorithm(algorithm)) return {ok: false, field: 'checksum_type', reason: `checksum_type: ${quote(type)} is not an algorithm isoman can check (md5, sha1, sha224, sha256, sha384, sha512, blake2b512)`};
	if (!/^[0-9a-f]+$/.test(row.checksum) || row.checksum.length !== hexLength(algorithm)) {
		return {ok: false, field: 'checksum', reason: `checksum: ${quote(row.checksum)} is not a ${algorithm} digest (${hexLength(algorithm)} hex characters)`};
	}

	return {ok: true, algorithm, expected: row.checksum};
}

/**
 * ISOMan's image file of a complete row: `isos/<file_path>`, which must stay inside isos/ (ISOMan built it from
 * values it never checked), be a regular file and not a symlink, and resolve (through any symlinked directories)
 * inside isos/. `undefined` when the file is not there.
 */
export function sourceFileOf(row: SourceRow, isosDir: string): {ok: true; file: SourceFile | undefined} | {ok: false; outcome: RejectOutcome; field: string; reason: string} {
	let absolute: string;
	try {
		absolute = resolveInside(isosDir, row.filePath ?? '');
	} catch (error) {
		return {ok: false, outcome: 'unsafe', field: 'file_path', reason: (error as Error).message.replace(/^path:/, 'file_path:')};
	}

	const stat = fs.lstatSync(absolute, {throwIfNoEntry: false});
	if (!stat) return {ok: true, file: undefined};
	const shown = quote(row.filePath, 200);
	if (stat.isSymbolicLink()) return {ok: false, outcome: 'unsafe', field: 'file_path', reason: `file_path: ${shown} is a symbolic link; only regular files are imported (put the file itself there, or add it with isoman add)`};
	if (!stat.isFile()) return {ok: false, outcome: 'unsafe', field: 'file_path', reason: `file_path: ${shown} is not a regular file`};
	let real: string;
	let realRoot: string;
	try {
		real = fs.realpathSync(absolute);
		realRoot = fs.realpathSync(isosDir);
	} catch (error) {
		return {ok: false, outcome: 'unsafe', field: 'file_path', reason: `file_path: ${shown} cannot be resolved: ${(error as Error).message}`};
	}

	if (!real.startsWith(realRoot + path.sep)) {
		return {ok: false, outcome: 'unsafe', field: 'file_path', reason: `file_path: ${shown} leads outside ISOMan's isos/ directory (to ${quote(real, 200)}) through a symbolic link; not imported`};
	}

	return {ok: true, file: {path: absolute, size: stat.size, dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs}};
}

/** ISOMan's free-text error message → the closest isoman error code. */
export function errorCodeFor(message: string): ErrorCode {
	const m = message.toLowerCase();
	if (m.includes('cancel')) return 'cancelled';
	if (m.includes('checksum mismatch')) return 'checksum_mismatch';
	if (m.includes('checksum')) return 'checksum_source';
	if (m.startsWith('server returned') || /\bstatus\b/.test(m)) return 'http_status';
	if (/no space|disk full/.test(m)) return 'disk_full';
	if (/failed to (create|write|move)|permission denied/.test(m)) return 'io';
	return 'network';
}

const identityKey = (t: Target) => [t.name, t.version, t.arch, t.edition ?? '', t.fileType].join('\0');

/** Rank for two ISOMan rows that make one isoman image: a complete one with its file first, then the older. */
function rank(row: SourceRow, file: SourceFile | undefined): number {
	if (row.status === 'complete') return file ? 0 : 2;
	return row.status === 'failed' ? 3 : 1;
}

export function planImport(rows: readonly SourceRow[], isosDir: string, library: LibraryView): Planned[] {
	type Candidate = {row: SourceRow; target: Target; file?: SourceFile; algorithm: ChecksumAlgorithm; expected: string | null};
	const planned = new Map<SourceRow, Planned>();
	const candidates: Candidate[] = [];
	for (const row of rows) {
		const checked = checkRow(row);
		if (!checked.ok) {
			planned.set(row, {action: 'reject', row, outcome: 'invalid', field: checked.field, reason: checked.reason});
			continue;
		}

		let file: SourceFile | undefined;
		let algorithm: ChecksumAlgorithm = 'sha256';
		let expected: string | null = null;
		if (row.status === 'complete') {
			const sum = checksumOf(row);
			if (!sum.ok) {
				planned.set(row, {action: 'reject', row, outcome: 'invalid', field: sum.field, reason: sum.reason});
				continue;
			}

			({algorithm, expected} = sum);
			const source = sourceFileOf(row, isosDir);
			if (!source.ok) {
				planned.set(row, {action: 'reject', row, outcome: source.outcome, field: source.field, reason: source.reason});
				continue;
			}

			file = source.file;
		}

		candidates.push({row, target: checked.target, file, algorithm, expected});
	}

	// Rows that make one isoman image: one wins, the others are reported.
	const winners = new Map<string, Candidate>();
	for (const c of candidates) {
		const key = identityKey(c.target);
		const best = winners.get(key);
		if (!best || rank(c.row, c.file) < rank(best.row, best.file)) winners.set(key, c);
	}

	for (const c of candidates) {
		const {row, target} = c;
		const winner = winners.get(identityKey(target))!;
		if (winner !== c) {
			planned.set(row, {
				action: 'skip',
				row,
				outcome: 'conflict',
				target,
				reason: `makes the same isoman image as ISOMan row ${winner.row.id} (${target.filePath}), which is imported instead`,
			});
			continue;
		}

		let resume: Image | undefined;
		const record = library.record(row.id);
		const recorded = record && library.get(record.imageId);
		if (recorded && record.finishedAt) {
			planned.set(row, {action: 'skip', row, outcome: 'already_imported', target, imageId: recorded.id, reason: `imported before as ${recorded.id} (${recorded.status})`, source: c.file});
			continue;
		}

		if (recorded) {
			resume = recorded;
		} else {
			const existing = library.identity(target);
			if (existing) {
				const image = library.get(existing);
				const hint = image && image.status !== 'complete' && c.file ? `; remove it (isoman remove ${existing}) and import again to use ISOMan's file` : '';
				planned.set(row, {action: 'skip', row, outcome: 'duplicate', target, imageId: existing, reason: `already in the library as ${existing} (${image?.status ?? 'unknown'})${hint}`});
				continue;
			}

			if (c.file && library.exists(target.filePath)) {
				planned.set(row, {
					action: 'reject',
					row,
					outcome: 'file_exists',
					field: 'file_path',
					reason: `a file no image claims is already at images/${target.filePath}: move it away, then run the import again`,
				});
				continue;
			}
		}

		if (row.status === 'complete' && c.file) {
			planned.set(row, {action: 'file', row, target, source: c.file, algorithm: c.algorithm, expected: c.expected, resume});
		} else {
			const as = row.status === 'complete' ? 'missing' : row.status === 'failed' ? 'failed' : 'pending';
			planned.set(row, {action: 'row', row, target, as, resume});
		}
	}

	return rows.map(row => planned.get(row)!);
}
