/**
 * `isoman import ISOMAN_DATA_DIR`: bring an ISOMan library (catalogue, files, download history) into isoman's.
 *
 * The import takes the library lock like every writer (a subcommand holding it for a moment is waited for) and runs
 * recovery first, so what an interrupted import left is put right before it goes on. It refuses to run beside a
 * daemon or TUI: those would start downloading an image the import is still bringing in. A dry run reads both
 * catalogues through private snapshots, hashes ISOMan's files read-only, and changes nothing anywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Config} from '../../config.js';
import {ImportRecords} from '../catalogue/import-records.js';
import {LATEST_VERSION, migrate} from '../catalogue/migrations.js';
import {Catalogue} from '../catalogue/repository.js';
import {openSnapshot, type Snapshot} from '../catalogue/snapshot.js';
import {LockHeldError, type LockInfo} from '../lock.js';
import {openLibrary} from '../open-library.js';
import type {Manager} from '../manager.js';
import {IsomanError, type Logger} from '../types.js';
import {hashOpen, openSource, sameFileSystem} from './bring-file.js';
import {baseResult, executeOne, SETTLED, type ExecuteContext, type ProgressEvent, type RowResult} from './execute.js';
import {readIsomanCatalogue, SourceError, type SourceCatalogue} from './isoman-catalogue.js';
import {planImport, type LibraryView, type Planned} from './plan.js';

export {SourceError} from './isoman-catalogue.js';
export type {Outcome, ProgressEvent, RowResult} from './execute.js';

export type ImportOptions = {
	config: Config;
	log: Logger;
	/** ISOMan's data directory (holds db/isos.db and isos/). */
	source: string;
	/** Remove ISOMan's file once isoman's copy (or link) is committed. */
	move?: boolean;
	/** Report what would happen; change nothing. */
	dryRun?: boolean;
	onProgress?: (event: ProgressEvent) => void;
	/** Each row's result, as soon as it is known. */
	onRow?: (result: RowResult) => void;
	/** Called once when a subcommand holds the library and the import waits for it. */
	onWait?: (holder: LockInfo) => void;
	signal?: AbortSignal;
};

export type ImportTotals = {
	rows: number;
	imported: number;
	/** Skipped and nothing to do: already imported, or already in the library. */
	skipped: number;
	/** Not imported, each with a reason to act on. */
	notImported: number;
	bytesLinked: number;
	bytesCopied: number;
	/** Of the bytes linked or copied, those whose ISOMan file was removed (--move). */
	bytesMoved: number;
	downloadEvents: number;
	seconds: number;
};

export type ImportReport = {
	source: string;
	dryRun: boolean;
	move: boolean;
	schemaVersion: number | null;
	warnings: string[];
	rows: RowResult[];
	totals: ImportTotals;
	/** 0 when every row was imported or skipped with nothing to do, else 1. */
	exitCode: 0 | 1;
};

/** A daemon or TUI runs this library: the import does not run beside it. */
export class ImportLockedError extends IsomanError {
	constructor(readonly holder: LockInfo) {
		super(
			'locked',
			`isoman ${holder.role} pid ${holder.pid} runs this library (since ${holder.startedAt}): stop it first (for a systemd unit: systemctl stop isoman; else kill ${holder.pid}), run the import, then start it again. The import does not run beside it, so that it never starts downloading an image the import is still bringing in`,
		);
		this.name = 'ImportLockedError';
	}
}

function viewOf(catalogue: Catalogue | undefined, records: ImportRecords | undefined, config: Config): LibraryView {
	return {
		get: id => catalogue?.get(id),
		identity: target => records?.identity(target),
		record: id => records?.bySource(id),
		recordOf: id => records?.byImage(id),
		exists: relative => fs.lstatSync(path.join(config.imagesDir, relative), {throwIfNoEntry: false}) !== undefined,
	};
}

function summarise(source: SourceCatalogue, options: ImportOptions, results: RowResult[], started: number): ImportReport {
	const totals: ImportTotals = {rows: results.length, imported: 0, skipped: 0, notImported: 0, bytesLinked: 0, bytesCopied: 0, bytesMoved: 0, downloadEvents: 0, seconds: 0};
	for (const r of results) {
		if (r.outcome === 'imported') totals.imported++;
		else if (SETTLED.has(r.outcome)) totals.skipped++;
		else totals.notImported++;
		if (r.outcome === 'imported') totals.downloadEvents += r.downloadEvents ?? 0;
		if (r.outcome === 'imported' && r.method === 'link') totals.bytesLinked += r.bytes ?? 0;
		if (r.outcome === 'imported' && r.method === 'copy') totals.bytesCopied += r.bytes ?? 0;
		if (r.moved) totals.bytesMoved += r.bytes ?? 0;
	}

	totals.seconds = Math.round((performance.now() - started) / 10) / 100;
	return {
		source: source.dataDir,
		dryRun: options.dryRun ?? false,
		move: options.move ?? false,
		schemaVersion: source.schemaVersion,
		warnings: source.warnings,
		rows: results,
		totals,
		exitCode: totals.notImported === 0 ? 0 : 1,
	};
}

/** A dry run's result for one row: what `executeOne` would report, found without writing anything. */
async function predict(item: Planned, options: ImportOptions, catalogue: Catalogue | undefined): Promise<RowResult> {
	const {row} = item;
	if (item.action === 'reject') return {...baseResult(row), outcome: item.outcome, field: item.field, reason: item.reason};
	if (item.action === 'skip') {
		const image = item.imageId ? catalogue?.get(item.imageId) : undefined;
		const moved = item.outcome === 'already_imported' && options.move && item.source !== undefined && image?.status === 'complete';
		return {...baseResult(row), outcome: item.outcome, id: item.imageId, as: image?.status, filePath: item.target.filePath, reason: item.reason, moved: moved || undefined};
	}

	if (item.action === 'row') {
		return {...baseResult(row), outcome: 'imported', as: item.as, filePath: item.target.filePath, downloadCount: row.downloadCount, downloadEvents: row.downloadEvents.length};
	}

	const base = {...baseResult(row), filePath: item.target.filePath};
	const method = sameFileSystem(item.source, options.config.imagesDir) ? 'link' : 'copy';
	if (item.expected) {
		try {
			const fh = await openSource(item.source);
			try {
				const hex = await hashOpen(fh, item.source.size, item.algorithm, done => options.onProgress?.({isomanId: row.id, filePath: item.target.filePath, phase: 'hashing', method, done, total: item.source.size}), options.signal);
				if (hex !== item.expected) {
					return {...base, outcome: 'checksum_mismatch', field: 'checksum', reason: `ISOMan's file does not match ISOMan's checksum: ${item.algorithm} is ${hex}, ISOMan recorded ${item.expected}; not imported`};
				}
			} finally {
				await fh.close();
			}
		} catch (error) {
			return {...base, outcome: 'error', reason: error instanceof Error ? error.message : String(error)};
		}
	}

	return {...base, outcome: 'imported', as: 'complete', method, moved: options.move || undefined, bytes: item.source.size, downloadCount: row.downloadCount, downloadEvents: row.downloadEvents.length};
}

async function dryRun(source: SourceCatalogue, options: ImportOptions, started: number): Promise<ImportReport> {
	const {config} = options;
	let snapshot: Snapshot | undefined;
	try {
		let catalogue: Catalogue | undefined;
		let records: ImportRecords | undefined;
		if (fs.existsSync(config.dbPath)) {
			snapshot = openSnapshot(config.dbPath, {writableCopy: true});
			// A private copy may be brought up to date; a live catalogue is the daemon's, already migrated.
			const version = snapshot.db.pragma('user_version', {simple: true}) as number;
			if (version < LATEST_VERSION) {
				if (snapshot.live) throw new IsomanError('io', `the library's catalogue is at schema ${version}; the daemon running it is older than this isoman`);
				migrate(snapshot.db, config.dbPath);
			}

			catalogue = new Catalogue(snapshot.db);
			records = new ImportRecords(catalogue);
		}

		const plan = planImport(source.rows, source.isosDir, viewOf(catalogue, records, config));
		const results: RowResult[] = [];
		for (const item of plan) {
			const result = await predict(item, options, catalogue);
			results.push(result);
			options.onRow?.(result);
		}

		return summarise(source, options, results, started);
	} finally {
		snapshot?.close();
	}
}

export async function importIsoman(options: ImportOptions): Promise<ImportReport> {
	const started = performance.now();
	const {config, log} = options;
	const source = readIsomanCatalogue(options.source);
	if (path.resolve(source.dataDir) === path.resolve(config.dataDir)) throw new SourceError('is this library itself');
	log.info('import.source', {dir: source.dataDir, rows: source.rows.length, schemaVersion: source.schemaVersion, dryRun: options.dryRun ?? false, move: options.move ?? false});
	if (options.dryRun) return dryRun(source, options, started);

	let library;
	try {
		library = await openLibrary(config, log, 'import', {requireOwner: true, onWait: options.onWait, signal: options.signal});
	} catch (error) {
		if (error instanceof LockHeldError) throw new ImportLockedError(error.holder);
		throw error;
	}

	try {
		// requireOwner: this process holds the lock, so its library is the owner's Manager.
		const {catalogue} = library.library as Manager;
		const records = new ImportRecords(catalogue);
		const plan = planImport(source.rows, source.isosDir, viewOf(catalogue, records, config));
		const ctx: ExecuteContext = {config, catalogue, records, log, sourceDir: source.dataDir, move: options.move ?? false, onProgress: options.onProgress, signal: options.signal};
		const results: RowResult[] = [];
		for (const item of plan) {
			const result = options.signal?.aborted
				? {...baseResult(item.row), outcome: 'error' as const, reason: 'interrupted before this row; run the import again to finish'}
				: await executeOne(item, ctx);
			log.info('import.row', {...result});
			results.push(result);
			options.onRow?.(result);
		}

		const report = summarise(source, options, results, started);
		log.info('import.done', {...report.totals, exitCode: report.exitCode});
		return report;
	} finally {
		await library.close();
	}
}
