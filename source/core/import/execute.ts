/**
 * Carrying out a planned import, one ISOMan row at a time, in an order that a kill -9 at any instant leaves in a
 * state isoman's own recovery (recovery.ts) puts right, and that the next `isoman import` finishes:
 *
 *   hard link (same file system; --move unlinks ISOMan's name afterwards)
 *     1. ISOMan's file hashed (read-only) and compared with ISOMan's checksum: a mismatch stops here, nothing written
 *     2. one transaction: row `verifying` with the digest + import record        crash: recovery → pending; the
 *                                                                                 rerun resumes it (step 1 again)
 *     3. link to the final path, fsync the directory, sidecar                     crash: recovery re-hashes the file
 *                                                                                 and completes the row; the rerun
 *                                                                                 adds ISOMan's dates and history
 *     4. one transaction: row `complete` + ISOMan's completed_at, download_count and download events, record finished
 *     5. --move: ISOMan's name for the file unlinked                              crash: the rerun unlinks it (same inode)
 *   copy (another file system, or a link refused)
 *     1. one transaction: row `verifying` + import record                         crash: → pending, resumed
 *     2. copied into images/.tmp/<id>.part, hashed on the way, fsynced            crash: → pending with the .part
 *                                                                                 (isoman's own copy), resumed from 0
 *     3. mismatch: .part deleted, then row and record deleted (one transaction)   crash between: → pending, resumed
 *     4. digest stored in the row; rename into place, fsync, sidecar              crash: as the link's step 3
 *     5. as the link's 4 and 5 (--move deletes ISOMan's file once the copy is committed)
 *   rows without a file (missing, pending, failed): one transaction inserts the row with its history.
 * A failure (not a crash) undoes the row's import: file, .part, row and record go, and the report says why.
 * With --move the file is at every instant at ISOMan's path, at isoman's, or at both; never at neither.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Config} from '../../config.js';
import {ImportRecords, type ImportHistory} from '../catalogue/import-records.js';
import type {Catalogue} from '../catalogue/repository.js';
import {DuplicateImageError} from '../catalogue/repository.js';
import {isChecksumAlgorithm, sidecarFileName, writeSidecar} from '../checksum/index.js';
import {finalPathFor, partPathFor} from '../paths.js';
import {IsomanError, type Image, type Logger, type Status} from '../types.js';
import {fsyncDirectory} from '../fsync.js';
import {assertNoLink, ensureRealDir, lstatFile, removeFile, SymlinkError} from '../safe-fs.js';
import {copyInto, hashOpen, linkInto, openSource, sameFileSystem, type ByteProgress} from './bring-file.js';
import type {SourceRow} from './isoman-catalogue.js';
import {checksumOf, errorCodeFor, type Planned, type SourceFile, type Target} from './plan.js';

export type Method = 'link' | 'copy';

export type Outcome = 'imported' | 'already_imported' | 'duplicate' | 'conflict' | 'invalid' | 'unsafe' | 'file_exists' | 'checksum_mismatch' | 'error';

/** Outcomes that leave nothing for the user to do (exit 0 when every row has one). */
export const SETTLED: ReadonlySet<Outcome> = new Set(['imported', 'already_imported', 'duplicate']);

/** What happened to one ISOMan row. */
export type RowResult = {
	isomanId: string;
	/** ISOMan's values, as they were (shown quoted and escaped by front ends). */
	name: string;
	version: string;
	arch: string;
	edition: string;
	status: string;
	outcome: Outcome;
	/** The isoman image (imported, or the one that was already there). */
	id?: string;
	/** Its status in isoman. */
	as?: Status;
	/** Where it is in isoman's library (relative to images/). */
	filePath?: string;
	method?: Method;
	/** ISOMan's file was removed (--move). */
	moved?: boolean;
	bytes?: number;
	field?: string;
	reason?: string;
	downloadCount?: number;
	downloadEvents?: number;
};

export type ProgressEvent = {isomanId: string; filePath: string; phase: 'hashing' | 'copying'; method: Method; done: number; total: number};

export type ExecuteContext = {
	config: Config;
	catalogue: Catalogue;
	records: ImportRecords;
	log: Logger;
	sourceDir: string;
	move: boolean;
	onProgress?: (event: ProgressEvent) => void;
	signal?: AbortSignal;
};

export function baseResult(row: SourceRow): Omit<RowResult, 'outcome'> {
	return {isomanId: row.id, name: row.name ?? '', version: row.version ?? '', arch: row.arch ?? '', edition: row.edition ?? '', status: row.status};
}

const historyOf = (row: SourceRow): ImportHistory => ({downloadCount: row.downloadCount, downloadEvents: row.downloadEvents});

function startFields(row: SourceRow, target: Target, ctx: ExecuteContext) {
	return {
		...target,
		sourceId: row.id,
		sourceDir: ctx.sourceDir,
		createdAt: row.createdAt ?? new Date().toISOString(),
		detail: `imported from ISOMan ${row.id} (${ctx.sourceDir})`,
	};
}

async function unlinkQuietly(file: string, ctx: ExecuteContext): Promise<void> {
	await removeFile(ctx.config.dataDir, file).catch((error: unknown) => ctx.log.warn('import.cleanup_failed', {file, error}));
}

/** --move: remove ISOMan's name for a file isoman now holds (the same inode, or a copy with the same digest). */
async function removeSource(source: SourceFile, image: Image, ctx: ExecuteContext, copied: boolean): Promise<boolean> {
	const now = fs.lstatSync(source.path, {throwIfNoEntry: false});
	if (!now?.isFile()) return !now;
	const ours = fs.lstatSync(finalPathFor(ctx.config, image), {throwIfNoEntry: false});
	const sameInode = ours !== undefined && ours.ino === now.ino && ours.dev === now.dev;
	if (!sameInode) {
		if (!copied) {
			// Not the file isoman verified a moment ago (a rerun): only a byte-identical file may go.
			const fh = await openSource({path: source.path, size: now.size, dev: now.dev, ino: now.ino, mtimeMs: now.mtimeMs});
			try {
				const hex = await hashOpen(fh, now.size, image.checksumType ?? 'sha256', undefined, ctx.signal);
				if (hex !== (image.expectedChecksum ?? image.checksum)) return false;
			} finally {
				await fh.close();
			}
		}
	}

	await fsp.unlink(source.path);
	await fsyncDirectory(path.dirname(source.path));
	ctx.log.info('import.source_removed', {id: image.id, path: source.path});
	return true;
}

/** Insert a row that needs no file (missing, pending, failed), with its history, in one transaction. */
function importRow(item: Extract<Planned, {action: 'row'}>, ctx: ExecuteContext): RowResult {
	const {row, target, as} = item;
	if (item.resume) ctx.records.abandon(row.id, item.resume.id, 'import: ISOMan no longer has the file; imported again as ' + as);
	else if (ctx.records.bySource(row.id)) ctx.records.forget(row.id);
	const sum = checksumOf(row);
	const expected = sum.ok ? sum.expected : null;
	const checksumType = row.checksumType !== '' && isChecksumAlgorithm(row.checksumType) ? row.checksumType : null;
	const failedMessage = `ISOMan: ${row.errorMessage.trim() || 'failed'}`;
	const image = ctx.records.start(
		{
			...startFields(row, target, ctx),
			status: as,
			sizeBytes: row.sizeBytes > 0 ? row.sizeBytes : null,
			checksum: as === 'missing' ? expected : null,
			checksumType: as === 'missing' && sum.ok && expected ? sum.algorithm : checksumType,
			expectedChecksum: as === 'missing' ? expected : null,
			errorCode: as === 'failed' ? errorCodeFor(row.errorMessage) : null,
			errorMessage: as === 'failed' ? failedMessage : null,
			completedAt: as === 'missing' ? (row.completedAt ?? null) : null,
		},
		historyOf(row),
	);
	return {
		...baseResult(row),
		outcome: 'imported',
		id: image.id,
		as: image.status,
		filePath: image.filePath,
		downloadCount: row.downloadCount,
		downloadEvents: row.downloadEvents.length,
		reason: as === 'missing' ? `ISOMan's file isos/${row.filePath ?? ''} is gone` : as === 'pending' ? 'queued: downloads when a daemon or the TUI runs' : undefined,
	};
}

/** Bring the row's image into `verifying` (a new row, or the one an interrupted run left) with `patch`. */
function toVerifying(item: Extract<Planned, {action: 'file'}>, ctx: ExecuteContext, patch: {checksum: string | null; sizeBytes: number}): Image {
	const {row, target} = item;
	const fields = {
		checksum: patch.checksum,
		checksumType: item.algorithm,
		expectedChecksum: item.expected,
		sizeBytes: patch.sizeBytes,
	};
	if (!item.resume) {
		if (ctx.records.bySource(row.id)) ctx.records.forget(row.id);
		return ctx.records.start({
			...startFields(row, target, ctx),
			...fields,
			status: 'verifying',
			errorCode: null,
			errorMessage: null,
			completedAt: null,
		});
	}

	// A run cut short by a crash: recovery has made the row pending (or the user paused, cancelled or retried it).
	let image = ctx.catalogue.get(item.resume.id);
	if (!image) throw new IsomanError('io', `image ${item.resume.id} vanished while the import ran`);
	if (image.status === 'paused' || image.status === 'failed' || image.status === 'missing') image = ctx.catalogue.transition(image.id, 'pending', {}, 'import: resumed');
	return ctx.catalogue.transition(image.id, 'verifying', {...fields, downloadedBytes: 0}, 'import: resumed after an interruption', ['pending']);
}

async function importFile(item: Extract<Planned, {action: 'file'}>, ctx: ExecuteContext): Promise<RowResult> {
	const {row, source, algorithm, expected} = item;
	const base = {...baseResult(row), filePath: item.target.filePath};
	const existing = item.resume && ctx.catalogue.get(item.resume.id);
	if (existing?.status === 'complete') {
		// Recovery (or a daemon) completed it after a crash: add what only the import knows, then finish a --move.
		const image = ctx.records.complete(row.id, existing.id, {checksum: existing.checksum!, checksumType: existing.checksumType ?? algorithm, sizeBytes: existing.sizeBytes ?? 0, completedAt: row.completedAt ?? existing.completedAt ?? new Date().toISOString()}, historyOf(row), 'import finished');
		const moved = ctx.move ? await removeSource(source, image, ctx, false) : false;
		return {...base, outcome: 'imported', id: image.id, as: image.status, moved, bytes: image.sizeBytes ?? 0, downloadCount: row.downloadCount, downloadEvents: row.downloadEvents.length, reason: 'finished an import that was interrupted'};
	}

	const src = await openSource(source);
	let image: Image | undefined;
	let placed: string | undefined;
	let partPath: string | undefined;
	try {
		const finalPath = finalPathFor(ctx.config, item.target);
		const progress = (phase: ProgressEvent['phase'], method: Method): ByteProgress => (done, total) =>
			ctx.onProgress?.({isomanId: row.id, filePath: item.target.filePath, phase, method, done, total});
		let method: Method = sameFileSystem(source, ctx.config.imagesDir) ? 'link' : 'copy';
		let hex: string | undefined;
		if (method === 'link') {
			hex = await hashOpen(src, source.size, algorithm, progress('hashing', 'link'), ctx.signal);
			if (expected && hex !== expected) return mismatch(base, algorithm, expected, hex);
			image = toVerifying(item, ctx, {checksum: hex, sizeBytes: source.size});
			// A .part an interrupted copy (or a download) left: a complete row owns none.
			await removeFile(ctx.config.dataDir, partPathFor(ctx.config, image.id));
			ensureRealDir(ctx.config.dataDir, path.dirname(finalPath));
			assertNoLink(ctx.config.dataDir, finalPath, {self: true});
			if (await linkInto(source, finalPath)) {
				placed = finalPath;
				await writeSidecar(path.dirname(finalPath), path.basename(finalPath), algorithm, hex);
			} else {
				method = 'copy';
			}
		}

		if (method === 'copy') {
			image ??= toVerifying(item, ctx, {checksum: null, sizeBytes: source.size});
			ensureRealDir(ctx.config.dataDir, ctx.config.tmpDir, 0o700);
			partPath = partPathFor(ctx.config, image.id);
			hex = await copyInto(ctx.config.dataDir, src, source, partPath, algorithm, progress('copying', 'copy'), ctx.signal);
			const after = await src.stat();
			if (after.size !== source.size || after.mtimeMs !== source.mtimeMs) throw new IsomanError('io', `${source.path} changed while it was copied (is ISOMan still running?)`);
			if (expected && hex !== expected) {
				await removeFile(ctx.config.dataDir, partPath);
				ctx.records.abandon(row.id, image.id, 'import: checksum mismatch');
				image = undefined;
				return mismatch(base, algorithm, expected, hex);
			}

			ctx.catalogue.update(image.id, {checksum: hex, checksumType: algorithm, sizeBytes: source.size, downloadedBytes: source.size});
			ensureRealDir(ctx.config.dataDir, path.dirname(finalPath));
			assertNoLink(ctx.config.dataDir, partPath, {self: true});
			if (lstatFile(finalPath)) throw new IsomanError('io', `a file appeared at ${finalPath} while the import ran; it was left alone`);
			await fsp.rename(partPath, finalPath);
			placed = finalPath;
			partPath = undefined;
			await fsyncDirectory(path.dirname(finalPath));
			await writeSidecar(path.dirname(finalPath), path.basename(finalPath), algorithm, hex);
		}

		const completed = ctx.records.complete(
			row.id,
			image!.id,
			{checksum: hex!, checksumType: algorithm, sizeBytes: source.size, completedAt: row.completedAt ?? new Date().toISOString()},
			historyOf(row),
			expected ? `imported from ISOMan and verified (${method})` : `imported from ISOMan, unverified: ISOMan had no checksum (${method})`,
		);
		placed = undefined;
		image = undefined;
		const moved = ctx.move ? await removeSource(source, completed, ctx, method === 'copy') : false;
		return {...base, outcome: 'imported', id: completed.id, as: completed.status, method, moved, bytes: source.size, downloadCount: row.downloadCount, downloadEvents: row.downloadEvents.length};
	} catch (error) {
		// Not a crash: undo this row's import so that the library holds nothing half done.
		if (placed) {
			await unlinkQuietly(placed, ctx);
			await unlinkQuietly(path.join(path.dirname(placed), sidecarFileName(path.basename(placed), algorithm)), ctx);
		}

		if (partPath) await unlinkQuietly(partPath, ctx);
		if (image && ctx.catalogue.get(image.id)) ctx.records.abandon(row.id, image.id, `import failed: ${error instanceof Error ? error.message : String(error)}`);
		throw error;
	} finally {
		await src.close();
	}
}

function mismatch(base: Omit<RowResult, 'outcome'>, algorithm: string, expected: string, hex: string): RowResult {
	return {...base, outcome: 'checksum_mismatch', field: 'checksum', reason: `ISOMan's file does not match ISOMan's checksum: ${algorithm} is ${hex}, ISOMan recorded ${expected}; not imported`};
}

/** Carry out one planned row. Never throws for a row's own trouble: that becomes its result. */
export async function executeOne(item: Planned, ctx: ExecuteContext): Promise<RowResult> {
	const {row} = item;
	switch (item.action) {
		case 'reject':
			return {...baseResult(row), outcome: item.outcome, field: item.field, reason: item.reason};
		case 'skip': {
			const result: RowResult = {...baseResult(row), outcome: item.outcome, id: item.imageId, filePath: item.target.filePath, reason: item.reason};
			const image = item.imageId ? ctx.catalogue.get(item.imageId) : undefined;
			if (image) result.as = image.status;
			if (item.outcome === 'already_imported' && ctx.move && item.source && image?.status === 'complete') {
				try {
					result.moved = await removeSource(item.source, image, ctx, false);
					if (!result.moved) result.reason += `; ISOMan's file differs from it and was kept`;
				} catch (error) {
					result.reason += `; ISOMan's file was kept: ${error instanceof Error ? error.message : String(error)}`;
				}
			}

			return result;
		}

		case 'row':
		case 'file':
			try {
				return item.action === 'row' ? importRow(item, ctx) : await importFile(item, ctx);
			} catch (error) {
				if (error instanceof DuplicateImageError) {
					return {...baseResult(row), outcome: 'duplicate', id: error.existingId, filePath: item.target.filePath, reason: `already in the library as ${error.existingId}`};
				}

				if (error instanceof SymlinkError) {
					return {...baseResult(row), outcome: 'unsafe', field: 'file_path', filePath: item.target.filePath, reason: `not imported: ${error.message}`};
				}

				const reason = ctx.signal?.aborted ? 'interrupted; run the import again to finish' : error instanceof Error ? error.message : String(error);
				ctx.log.warn('import.row_failed', {isomanId: row.id, error});
				return {...baseResult(row), outcome: 'error', filePath: item.target.filePath, reason};
			}
	}
}
