/**
 * Startup recovery: runs once, before any download starts, and brings catalogue and disk back into agreement
 * after a crash at any instant (invariants; the crash points are listed in job.ts and edit.ts). In this order:
 *
 *   0. a move recorded by an edit                → finished (the file renamed to the path its row names, sidecar
 *                                                  rewritten, empty directories removed), or undone when a different
 *                                                  file appeared at the new path (edit.ts: finishMove)
 *   1. row downloading/verifying            → pending, downloaded_bytes := its .part's size (the .part is kept)
 *      row verifying + file at final path   → the file is re-hashed against expected_checksum, else the digest
 *                                             stored when the download finished: a match completes the row (the
 *                                             crash fell between the rename and the commit; our temporary files in
 *                                             its directory are deleted, then the sidecar is rewritten, then the
 *                                             row committed); a mismatch can only be a file someone else put there
 *                                             (ours is renamed only after it verified), so it is KEPT and the row
 *                                             fails as adopting it would ("a different file already exists …")
 *   2. row pending/paused                   → downloaded_bytes := the .part's real size (0 without one)
 *   3. images/.tmp: a `<id>.part` with no row, or whose row is complete/failed/missing, or that is a symbolic
 *      link                                 → unlinked (the name only: never recursive, never a link's target);
 *      anything else there                  → reported (`foreignInTmp`), left alone: recovery deletes only its own
 *   1-4. a symbolic link at a row's final path or among its directories → that row fails (`io`, or `corrupt`
 *      for a complete row), nothing is read or written through it
 *   4. row complete, file gone              → missing
 *      row complete, file size ≠ size_bytes → re-hashed: stays complete (size_bytes corrected) or fails `corrupt`,
 *                                             the file kept; same size → not re-hashed (`isoman verify` does that)
 *   5. file under images/ no row claims     → reported as untracked, never deleted; our own half-written sidecar
 *                                             or kept file (`.<name>.<random>.sidecar-tmp`) is deleted. A row claims
 *                                             its image, sidecar and kept publisher files (<image>.checksums, .sig)
 * Every action is one `recovery.<action>` log line; then one `recovery.summary` line with the counts.
 * Each step is idempotent, so a crash during recovery is recovered by the next start.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Config} from '../config.js';
import type {Catalogue} from './catalogue/repository.js';
import {isSidecarTempName} from './checksum/index.js';
import {pendingMoves} from './catalogue/edits.js';
import {finishMove} from './edit.js';
import {adoptChecked, checkFile, corruptMessage, foreignFileMessage, sidecarPathOf} from './file-check.js';
import {finalPathFor, isCopyTempName, ownedFilesFor, partPathFor} from './paths.js';
import {assertNoLink, ensureRealDir, lstatFile, removeFile, SymlinkError} from './safe-fs.js';
import {canTransition} from './catalogue/transitions.js';
import {IsomanError, type Image, type Logger} from './types.js';

export type RecoveryReport = {
	/** Images whose interrupted move (an edit) was finished or undone. */
	moved: string[];
	/** Rows set back from downloading/verifying to pending. */
	requeued: string[];
	/** Verifying rows completed: their file was in place and verified. */
	completed: string[];
	/** Verifying rows failed: a different file sits at their path (kept). */
	failed: string[];
	/** Pending/paused rows whose downloaded_bytes was set to their .part's size. */
	progressReset: string[];
	/** Names in images/.tmp deleted (only `<id>.part` names). */
	partsDeleted: string[];
	/** Other names in images/.tmp: not isoman's, left alone. */
	foreignInTmp: string[];
	/** Paths (relative to images/) deleted: only recovery's own half-written sidecars. */
	filesDeleted: string[];
	/** Complete rows whose file is gone, now missing. */
	missing: string[];
	/** Complete rows whose file changed size and no longer verifies, now failed `corrupt` (file kept). */
	corrupt: string[];
	/** Complete rows whose file size differed from the row but whose digest still matched. */
	reverified: string[];
	/** Files under images/ no row claims (reported, never deleted). */
	untracked: string[];
};

const UNFINISHED = new Set(['pending', 'downloading', 'verifying', 'paused']);

/** A `.part` name isoman gives (`<12 hex>.part`); recovery deletes no other name. */
const PART_NAME = /^[0-9a-f]{12}\.part$/;

// Recovery runs once, before anything else, over every row and file of the library: synchronous stat and
// readdir are several times faster here than a thread-pool round trip per call (10,000 images: ~0.3 s vs ~1.4 s).
/** A regular file's stat (never through a link: a link, or anything that is not a file, counts as absent). */
function fileStat(file: string): fs.Stats | undefined {
	const stat = lstatFile(file);
	return stat?.isFile() ? stat : undefined;
}

/** Why the row's final path cannot be used (a link at it or among its directories), or undefined. */
function linkProblem(config: Config, finalPath: string): string | undefined {
	try {
		assertNoLink(config.dataDir, finalPath, {self: true});
		return undefined;
	} catch (error) {
		if (error instanceof SymlinkError) return error.message;
		throw error;
	}
}

function* walk(dir: string): Generator<string> {
	let entries: fs.Dirent[];
	try {
		entries = fs.readdirSync(dir, {withFileTypes: true});
	} catch {
		return;
	}

	for (const entry of entries) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) yield* walk(full);
		else yield full;
	}
}

export async function recover(config: Config, catalogue: Catalogue, log: Logger): Promise<RecoveryReport> {
	const report: RecoveryReport = {moved: [], requeued: [], completed: [], failed: [], progressReset: [], partsDeleted: [], foreignInTmp: [], filesDeleted: [], missing: [], corrupt: [], reverified: [], untracked: []};
	ensureRealDir(config.dataDir, config.tmpDir, 0o700);
	const act = (event: string, fields: Record<string, unknown>) => log.info(`recovery.${event}`, fields);
	/**
	 * The row's final path, or undefined when its stored path breaks the rules (an edited or imported row): that
	 * row fails with the reason (once) and recovery goes on with the others.
	 */
	const finalPathOf = (image: Image): string | undefined => {
		try {
			return finalPathFor(config, image);
		} catch (error) {
			if (!(error instanceof IsomanError)) throw error;
			const message = `the stored path is not usable: ${error.message}`;
			if (image.status !== 'failed' && canTransition(image.status, 'failed')) {
				catalogue.transition(image.id, 'failed', {errorCode: 'io', errorMessage: message}, 'recovery: its stored path breaks the rules');
				report.failed.push(image.id);
				act('failed', {id: image.id, path: image.filePath, reason: message});
			}

			return undefined;
		}
	};

	/** Fails the row when a link sits at its final path or among its directories; true when it did. */
	const failLinked = (image: Image, finalPath: string, errorCode: 'io' | 'corrupt'): boolean => {
		const linked = linkProblem(config, finalPath);
		if (!linked) return false;
		catalogue.transition(image.id, 'failed', {errorCode, errorMessage: linked}, 'recovery: a symbolic link in its path');
		(errorCode === 'io' ? report.failed : report.corrupt).push(image.id);
		act(errorCode === 'io' ? 'failed' : 'corrupt', {id: image.id, path: image.filePath, reason: linked});
		return true;
	};

	/** Our own half-written sidecar or kept file, or cross-device copy, from a crash: never a user's file. */
	const isOwnTemp = (file: string) => isSidecarTempName(path.basename(file)) || isCopyTempName(path.basename(file));
	const deleteOwnTemp = async (file: string) => {
		await removeFile(config.dataDir, file);
		report.filesDeleted.push(path.relative(config.imagesDir, file));
		act('file_deleted', {path: path.relative(config.imagesDir, file), reason: 'unfinished sidecar'});
	};
	/** Deletes our own temporary files in `dir` (not below it). */
	const sweepOwnTemps = async (dir: string) => {
		const entries = await fsp.readdir(dir, {withFileTypes: true}).catch(() => []);
		for (const entry of entries) {
			if (entry.isFile() && isOwnTemp(entry.name)) await deleteOwnTemp(path.join(dir, entry.name));
		}
	};

	// 0. Moves an edit recorded but may not have finished, before anything looks at where files are.
	for (const move of pendingMoves(catalogue)) {
		const outcome = await finishMove({catalogue, config, log}, move);
		report.moved.push(move.imageId);
		act(outcome === 'finished' ? 'move_finished' : 'move_undone', {id: move.imageId, from: move.from.filePath, to: move.to.filePath});
	}

	// 1. Rows a crash left mid-flight.
	for (const image of [...catalogue.withStatus('downloading'), ...catalogue.withStatus('verifying')]) {
		const finalPath = finalPathOf(image);
		if (finalPath === undefined || failLinked(image, finalPath, 'io')) continue;

		if (image.status === 'verifying' && lstatFile(finalPath)) {
			// The rename happened; the commit did not.
			const check = await checkFile(finalPath, image);
			if (check.matches) {
				// The same crash may have cut the sidecar's write short: its temporary file goes before the row is
				// committed, so a crash during this recovery never leaves a complete row beside it (step 5 would
				// delete it only at the start after).
				await sweepOwnTemps(path.dirname(finalPath));
				const patch = await adoptChecked(finalPath, check);
				await removeFile(config.dataDir, partPathFor(config, image.id));
				catalogue.transition(image.id, 'complete', patch, 'recovery: file was in place');
				report.completed.push(image.id);
				act('completed', {id: image.id, path: image.filePath});
				continue;
			}

			// Not ours: a download is renamed into place only after it verified. Keep it, as adopting it would.
			const message = foreignFileMessage(finalPath, check);
			catalogue.transition(image.id, 'failed', {errorCode: 'io', errorMessage: message}, 'recovery: a different file is at its path');
			report.failed.push(image.id);
			act('failed', {id: image.id, path: image.filePath, reason: message});
			continue;
		}

		const part = fileStat(partPathFor(config, image.id));
		catalogue.transition(image.id, 'pending', {downloadedBytes: part?.size ?? 0}, `recovery: was ${image.status}`);
		report.requeued.push(image.id);
		act('requeued', {id: image.id, was: image.status, partBytes: part?.size ?? 0});
	}

	// 2. The .part is the truth for what is downloaded.
	const byId = new Map(catalogue.list().map(image => [image.id, image]));
	for (const image of byId.values()) {
		if (image.status !== 'pending' && image.status !== 'paused') continue;
		const part = fileStat(partPathFor(config, image.id));
		const size = part?.size ?? 0;
		if (size === image.downloadedBytes) continue;
		catalogue.update(image.id, {downloadedBytes: size});
		report.progressReset.push(image.id);
		act('progress_reset', {id: image.id, status: image.status, was: image.downloadedBytes, partBytes: size});
	}

	// 3. .part files nobody unfinished owns (and any .part that is a link). Only `<id>.part` names, one unlink
	// each: never recursive, never through a link (images/.tmp itself was checked to be a real directory).
	for (const entry of await fsp.readdir(config.tmpDir, {withFileTypes: true})) {
		const name = entry.name;
		if (!PART_NAME.test(name) || !(entry.isFile() || entry.isSymbolicLink())) {
			report.foreignInTmp.push(name);
			log.warn('recovery.foreign_in_tmp', {file: name, reason: 'not a .part isoman wrote; left alone'});
			continue;
		}

		const owner = byId.get(name.slice(0, -'.part'.length));
		if (owner && UNFINISHED.has(owner.status) && entry.isFile()) continue;
		await removeFile(config.dataDir, path.join(config.tmpDir, name));
		report.partsDeleted.push(name);
		act('part_deleted', {file: name, reason: entry.isSymbolicLink() ? 'a symbolic link' : owner ? `row is ${owner.status}` : 'no row'});
	}

	// 4. Complete rows: file gone → missing; size changed → re-verify.
	for (const image of catalogue.withStatus('complete')) {
		const finalPath = finalPathOf(image);
		if (finalPath === undefined || failLinked(image, finalPath, 'corrupt')) continue;

		const stat = lstatFile(finalPath);
		if (!stat) {
			catalogue.transition(image.id, 'missing', {}, `recovery: ${image.filePath} not found`);
			report.missing.push(image.id);
			act('missing', {id: image.id, path: image.filePath});
			continue;
		}

		if (image.sizeBytes !== null && stat.size !== image.sizeBytes) {
			const check = await checkFile(finalPath, image);
			if (!check.matches) {
				const message = corruptMessage(check, `size is ${stat.size} bytes (expected ${image.sizeBytes})`);
				catalogue.transition(image.id, 'failed', {errorCode: 'corrupt', errorMessage: message}, 'recovery: size changed');
				report.corrupt.push(image.id);
				act('corrupt', {id: image.id, path: image.filePath});
			} else {
				catalogue.update(image.id, {sizeBytes: stat.size, downloadedBytes: stat.size});
				report.reverified.push(image.id);
				act('reverified', {id: image.id, path: image.filePath, was: image.sizeBytes, bytes: stat.size});
			}
		}
	}

	// 5. Files no row claims: reported, never deleted.
	const claimed = new Set<string>();
	for (const image of catalogue.list()) {
		// The image, its sidecar and the publisher's checksum file and signature kept beside it.
		try {
			for (const file of ownedFilesFor(config, image)) claimed.add(file);
		} catch {
			continue; // failed above; it claims nothing
		}
	}

	for (const file of walk(config.imagesDir)) {
		if (file.startsWith(config.tmpDir + path.sep) || claimed.has(file)) continue;
		if (isOwnTemp(file)) {
			await deleteOwnTemp(file);
			continue;
		}

		const relative = path.relative(config.imagesDir, file);
		report.untracked.push(relative);
		act('untracked', {path: relative});
	}

	log.info('recovery.summary', {
		moved: report.moved.length,
		requeued: report.requeued.length,
		completed: report.completed.length,
		failed: report.failed.length,
		progressReset: report.progressReset.length,
		partsDeleted: report.partsDeleted.length,
		foreignInTmp: report.foreignInTmp.length,
		filesDeleted: report.filesDeleted.length,
		missing: report.missing.length,
		corrupt: report.corrupt.length,
		reverified: report.reverified.length,
		untracked: report.untracked.length,
	});
	return report;
}
