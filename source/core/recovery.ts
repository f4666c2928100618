/**
 * Startup recovery: runs once, before any download starts, and brings catalogue and disk back into agreement
 * after a crash at any instant (DESIGN §3 invariants; the crash points are listed in job.ts).
 *
 *   row downloading/verifying            → pending (its .part is kept for resume)
 *   row verifying + file at final path   → file re-hashed: complete if it matches, else file deleted, pending
 *   row pending/paused/downloading       → downloaded_bytes := the .part's real size (the .part is the truth)
 *   .part with no row, or row complete/failed/missing → deleted
 *   row complete, file gone              → missing
 *   row complete, file size ≠ size_bytes → re-verified: stays complete, or failed `corrupt`
 *   file under images/ no row claims     → reported as untracked, never deleted
 * One summary line is logged, plus one line per action.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Config} from '../config.js';
import type {Catalogue} from './catalogue/repository.js';
import {hashFile, isSidecarTempName, sidecarFileName, writeSidecar} from './checksum/index.js';
import {finalPathFor, partPathFor} from './job.js';
import type {Image, Logger} from './types.js';

export type RecoveryReport = {
	requeued: string[];
	completed: string[];
	partsDeleted: string[];
	filesDeleted: string[];
	missing: string[];
	corrupt: string[];
	reverified: string[];
	untracked: string[];
};

const UNFINISHED = new Set(['pending', 'downloading', 'verifying', 'paused']);

async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
	try {
		return await fsp.stat(file);
	} catch {
		return undefined;
	}
}

async function* walk(dir: string): AsyncGenerator<string> {
	let entries: fs.Dirent[];
	try {
		entries = await fsp.readdir(dir, {withFileTypes: true});
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
	const report: RecoveryReport = {requeued: [], completed: [], partsDeleted: [], filesDeleted: [], missing: [], corrupt: [], reverified: [], untracked: []};
	await fsp.mkdir(config.tmpDir, {recursive: true});
	const act = (event: string, fields: Record<string, unknown>) => log.info(`recovery.${event}`, fields);

	// 1. Rows a crash left mid-flight.
	for (const image of [...catalogue.withStatus('downloading'), ...catalogue.withStatus('verifying')]) {
		const finalPath = finalPathFor(config, image);
		if (image.status === 'verifying' && fs.existsSync(finalPath)) {
			// The rename happened; the commit did not.
			const reference = image.expectedChecksum ?? image.checksum;
			const algorithm = image.checksumType ?? 'sha256';
			const {hex, bytes} = await hashFile(finalPath, algorithm);
			if (reference && hex === reference) {
				await writeSidecar(path.dirname(finalPath), path.basename(finalPath), algorithm, hex);
				await fsp.rm(partPathFor(config, image.id), {force: true});
				catalogue.transition(image.id, 'complete', {checksum: hex, sizeBytes: bytes, downloadedBytes: bytes, completedAt: new Date().toISOString()}, 'recovery: file was in place');
				report.completed.push(image.id);
				act('completed', {id: image.id, path: image.filePath});
				continue;
			}

			await removeFinal(finalPath, image);
			report.filesDeleted.push(image.filePath);
			act('file_deleted', {id: image.id, path: image.filePath, reason: 'did not match its checksum'});
		}

		const part = await statOrUndefined(partPathFor(config, image.id));
		catalogue.transition(image.id, 'pending', {downloadedBytes: part?.size ?? 0}, `recovery: was ${image.status}`);
		report.requeued.push(image.id);
		act('requeued', {id: image.id, was: image.status, partBytes: part?.size ?? 0});
	}

	// 2. The .part is the truth for what is downloaded.
	const byId = new Map(catalogue.list().map(image => [image.id, image]));
	for (const image of byId.values()) {
		if (image.status !== 'pending' && image.status !== 'paused') continue;
		const part = await statOrUndefined(partPathFor(config, image.id));
		const size = part?.size ?? 0;
		if (size !== image.downloadedBytes) catalogue.update(image.id, {downloadedBytes: size});
	}

	// 3. Temporary files nobody unfinished owns.
	for (const entry of await fsp.readdir(config.tmpDir)) {
		const id = entry.endsWith('.part') ? entry.slice(0, -'.part'.length) : undefined;
		const owner = id === undefined ? undefined : byId.get(id);
		if (owner && UNFINISHED.has(owner.status)) continue;
		await fsp.rm(path.join(config.tmpDir, entry), {force: true, recursive: true});
		report.partsDeleted.push(entry);
		act('part_deleted', {file: entry, reason: owner ? `row is ${owner.status}` : 'no row'});
	}

	// 4. Complete rows: file gone → missing; size changed → re-verify.
	for (const image of catalogue.withStatus('complete')) {
		const finalPath = finalPathFor(config, image);
		const stat = await statOrUndefined(finalPath);
		if (!stat) {
			catalogue.transition(image.id, 'missing', {}, `recovery: ${image.filePath} not found`);
			report.missing.push(image.id);
			act('missing', {id: image.id, path: image.filePath});
			continue;
		}

		if (image.sizeBytes !== null && stat.size !== image.sizeBytes) {
			const {hex} = await hashFile(finalPath, image.checksumType ?? 'sha256');
			const reference = image.expectedChecksum ?? image.checksum;
			report.reverified.push(image.id);
			if (hex !== reference) {
				const message = `corrupt: size is ${stat.size} bytes (expected ${image.sizeBytes}) and ${image.checksumType ?? 'sha256'} is ${hex}, expected ${reference}; the file is kept`;
				catalogue.transition(image.id, 'failed', {errorCode: 'corrupt', errorMessage: message}, 'recovery: size changed');
				report.corrupt.push(image.id);
				act('corrupt', {id: image.id, path: image.filePath});
			} else {
				catalogue.update(image.id, {sizeBytes: stat.size});
				act('reverified', {id: image.id, path: image.filePath});
			}
		}
	}

	// 5. Files no row claims: reported, never deleted.
	const claimed = new Set<string>();
	for (const image of catalogue.list()) {
		const finalPath = finalPathFor(config, image);
		claimed.add(finalPath);
		if (image.checksumType) claimed.add(path.join(path.dirname(finalPath), sidecarFileName(image.filename, image.checksumType)));
	}

	for await (const file of walk(config.imagesDir)) {
		if (file.startsWith(config.tmpDir + path.sep) || claimed.has(file)) continue;
		if (isSidecarTempName(path.basename(file))) {
			// Our own half-written sidecar from a crash: never a user's file.
			await fsp.rm(file, {force: true});
			report.filesDeleted.push(path.relative(config.imagesDir, file));
			act('file_deleted', {path: path.relative(config.imagesDir, file), reason: 'unfinished sidecar'});
			continue;
		}

		const relative = path.relative(config.imagesDir, file);
		report.untracked.push(relative);
		act('untracked', {path: relative});
	}

	log.info('recovery.summary', {
		requeued: report.requeued.length,
		completed: report.completed.length,
		partsDeleted: report.partsDeleted.length,
		filesDeleted: report.filesDeleted.length,
		missing: report.missing.length,
		corrupt: report.corrupt.length,
		reverified: report.reverified.length,
		untracked: report.untracked.length,
	});
	return report;
}

async function removeFinal(finalPath: string, image: Image): Promise<void> {
	await fsp.rm(finalPath, {force: true});
	if (image.checksumType) await fsp.rm(path.join(path.dirname(finalPath), sidecarFileName(image.filename, image.checksumType)), {force: true});
}
