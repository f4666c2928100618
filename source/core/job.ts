/**
 * One image's download, from `pending` to `complete` or `failed`.
 *
 * ORDER OF OPERATIONS AND CRASH POINTS (`recovery.ts` is the other half of this comment: what the next
 * start does with each state a kill -9 can leave)
 *   add:  one transaction inserts the row `pending` with its `added` event.   crash: the row is there or it is not.
 *   1. pending → downloading (row)                   crash: row stuck downloading → recovery sets pending.
 *   2. checksum file fetched, expected digest stored  crash: same; the digest is not fetched again (it is stored).
 *   2'. a file already at the final path: row →       crash: row verifying + file at final path → recovery re-hashes
 *       verifying, file hashed, sidecar written, row     it: a match completes the row; a different file is kept and
 *       → complete (adopted) or failed (kept)            the row fails, as here.
 *   3. bytes appended to images/.tmp/<id>.part;       crash: recovery keeps the .part (its size is the truth;
 *      downloaded_bytes written ≤ 1/s, after the         downloaded_bytes is reset to it) and the row goes back
 *      bytes it counts were written (a refused write     to pending; the next run re-hashes the prefix and
 *      — catalogue locked or full — is only logged)      resumes with Range.
 *   4. .part fsynced; downloading → verifying with    crash: row verifying + .part → pending, resume (the .part
 *      the computed digest in `checksum`                 is complete: a 416 or a zero-length range finishes it).
 *   5a. digest ≠ expected: .part deleted, then row    crash between: row verifying without .part → pending,
 *       → failed checksum_mismatch                       downloaded again from 0 (nothing wrong lands).
 *   5b. rename .part → final path, fsync directory,   crash after the rename: the file is ahead of its row;
 *       sidecar written, then row → complete             recovery re-hashes it against expected_checksum (or the
 *                                                        digest stored in step 4) and completes the row (rewriting
 *                                                        the sidecar; a half-written sidecar temp file is deleted).
 *       If anything after the rename fails (the sidecar on a full disk, the commit), the file and sidecar are
 *       deleted again before the row fails: a failed download leaves nothing under images/.
 *   pause:  abort, await the transfer, row → paused (.part kept).   crash: as step 3.
 *   cancel: abort, await, .part deleted, row → failed cancelled.    crash after delete: row downloading
 *                                                        without .part → pending, restarts from 0 (harmless).
 *   remove: abort, await, row deleted, then files.      crash after the row: .part/file without row →
 *                                                        recovery deletes the .part; a final file without a
 *                                                        row is reported as untracked (never deleted).
 *   retry (manager): files deleted, then row → pending.  crash between: row still failed/missing, files gone;
 *                                                        retry again.
 *   verify (manager): file hashed, then one transaction (complete → failed corrupt / missing, or an event).
 *                                                        crash: nothing changed.
 * Failure of any kind deletes the .part first, then marks the row failed (invariant 2: only unfinished rows own one).
 */
import {constants as fsConstants} from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Catalogue, SignedMaterial} from './catalogue/repository.js';
import {ChecksumError, selectChecksum, writeFileAtomic, writeSidecar} from './checksum/index.js';
import type {Config} from '../config.js';
import {discardBody, type HttpClient} from './download/http.js';
import {fetchText} from './download/fetch-text.js';
import {transfer, type TransferOptions, type TransferResult} from './download/transfer.js';
import {adoptChecked, checkFile, foreignFileMessage, referenceOf} from './file-check.js';
import {JobAbort, type AbortKind} from './job-abort.js';
import {fsyncDirectory} from './fsync.js';
import {copyTempPathFor, finalPathFor, keptFilesFor, ownedFilesFor, partPathFor} from './paths.js';
import {assertNoLink, ensureRealDir, lstatFile, openNoFollow, removeFile} from './safe-fs.js';
import {RateMeter, type Progress} from './progress.js';
import {isClearSigned, SignatureError, wantsSignature} from './signature/basics.js';
import {IsomanError, toErrorCode, type ChecksumAlgorithm, type ErrorCode, type Image, type Logger, type SignedBy} from './types.js';

export {JobAbort, type AbortKind} from './job-abort.js';

export type JobContext = {
	catalogue: Catalogue;
	config: Config;
	client: HttpClient;
	log: Logger;
	onProgress(progress: Progress): void;
	onImage(image: Image): void;
	/** Resolves when `bytes` more may be downloaded (the image's and the global bandwidth limits). */
	rateLimit?: (bytes: number, signal: AbortSignal) => Promise<void>;
	/** Runs the transfer elsewhere (the TUI's transfer thread, which applies the limits itself); default: `transfer()` here. */
	transfer?: (opts: TransferOptions) => Promise<TransferResult>;
	/** Something a person should know that is not a failure (a clear signature that could not be checked). */
	onNotice?(notice: {level: 'info' | 'warn'; message: string; id: string}): void;
};

/** OpenPGP.js is large: loaded only for an image that has something to do with signatures. */
const signatures = async () => import('./signature/check.js');

/** A file written beside the image just before it is renamed into place. */
export type KeptData = {name: string; data: Uint8Array};

export {finalPathFor, partPathFor} from './paths.js';

export {fsyncDirectory} from './fsync.js';

/**
 * Move a verified .part into place: rename, fsync the directory, write the sidecar. `onRenamed` is called as soon
 * as the file is at its final path (from then on a failure must take it out again: see unplaceFile). The image's
 * directories are created one at a time under `root` (the data dir) and a link among them is refused.
 */
export async function placeFile(
	root: string,
	partPath: string,
	finalPath: string,
	algorithm: ChecksumAlgorithm,
	hex: string,
	written: {dev: number; ino: number; bytes: number},
	onRenamed?: () => void,
	kept: KeptData[] = [],
): Promise<void> {
	ensureRealDir(root, path.dirname(finalPath));
	assertNoLink(root, partPath, {self: true});
	// What is renamed is the file the transfer wrote and hashed: same inode, exactly its bytes.
	const before = lstatFile(partPath);
	if (!before || before.dev !== written.dev || before.ino !== written.ino || before.size !== written.bytes) {
		throw new IsomanError('corrupt', `${partPath} changed after it was downloaded and hashed (${before ? `${before.size} bytes, inode ${before.ino}` : 'gone'}; ${written.bytes} bytes were written): the download is discarded`);
	}

	// The publisher's signed files first: once the image is in place, everything it owns is there too.
	for (const file of kept) await writeFileAtomic(path.dirname(finalPath), file.name, file.data);
	// rename() replaces a link at the final path itself (it never writes through one).
	let copied = false;
	try {
		await fsp.rename(partPath, finalPath);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
		// images/.tmp and the image's directory are on different file systems: copy, fsync, rename, then delete.
		await copyAcross(root, partPath, finalPath);
		copied = true;
	}

	onRenamed?.();
	const after = lstatFile(finalPath);
	if (!after || (!copied && after.ino !== written.ino) || after.size !== written.bytes) {
		throw new IsomanError('corrupt', `${finalPath} changed while it was being put in place: the download is discarded`);
	}

	if (copied) await removeFile(root, partPath);

	await fsyncDirectory(path.dirname(finalPath));
	await writeSidecar(path.dirname(finalPath), path.basename(finalPath), algorithm, hex);
}

/**
 * Put `from` at `to` across file systems: copied to a private temporary file beside `to` (created exclusively),
 * fsynced, then renamed over `to`. A crash leaves only that temporary file, which recovery deletes.
 */
async function copyAcross(root: string, from: string, to: string): Promise<void> {
	const temp = copyTempPathFor(to);
	try {
		await fsp.copyFile(from, temp, fsConstants.COPYFILE_EXCL);
		const fh = await openNoFollow(root, temp, fsConstants.O_RDONLY);
		try {
			await fh.sync();
		} finally {
			await fh.close();
		}

		await fsp.rename(temp, to);
	} catch (error) {
		await removeFile(root, temp).catch(() => undefined);
		throw error;
	}
}

/** Undo placeFile after a later step failed: the file, its sidecar and kept files go (invariant 1: no file without a complete row). */
async function unplaceFile(config: Config, image: Image, algorithm: ChecksumAlgorithm, log: Logger, id: string): Promise<void> {
	for (const file of ownedFilesFor(config, {...image, checksumType: algorithm})) {
		await removeFile(config.dataDir, file).catch((error: unknown) => log.warn('file.delete_failed', {id, file, error}));
	}
}

/** The size of a regular file (0 when missing, a link or not a file: never through a link). */
function sizeOf(file: string): number {
	const stat = lstatFile(file);
	return stat?.isFile() ? stat.size : 0;
}

function decodedBasename(url: string): string {
	const pathname = new URL(url).pathname;
	const base = pathname.slice(pathname.lastIndexOf('/') + 1);
	try {
		return decodeURIComponent(base);
	} catch {
		return base;
	}
}

function failure(error: unknown): {code: ErrorCode; message: string} {
	// A row that breaks the path rules (`invalid`) is an i/o problem of this library, not of the user's input now.
	if (error instanceof IsomanError) return error.code === 'invalid' ? {code: 'io', message: `the stored path is not usable: ${error.message}`} : {code: toErrorCode(error.code), message: error.message};
	const errno = (error as NodeJS.ErrnoException).code;
	if (errno === 'ENOSPC') return {code: 'disk_full', message: `disk full: ${(error as Error).message}`};
	return {code: 'io', message: error instanceof Error ? error.message : String(error)};
}

type Resolved = {image: Image; sizeHint?: number; /** A detached signature over the image, checked after the download. */ imageSignature?: Buffer};

/** The signature at `url`, small and bounded; any failure to get it is `signature_source`. */
async function fetchSignature(ctx: JobContext, url: string, signal: AbortSignal): Promise<Buffer> {
	const {config, client, log} = ctx;
	try {
		const {bytes} = await fetchText(client, url, {
			maxBytes: 256 * 1024,
			retries: config.retries,
			backoff: {baseMs: config.retryBaseMs, maxMs: config.retryMaxMs},
			signal,
			log,
		});
		return bytes;
	} catch (error) {
		if (signal.aborted) throw error;
		throw new SignatureError('signature_source', `signature ${url}: ${error instanceof Error ? error.message : String(error)}`);
	}
}

/**
 * Before any image byte moves: fetch the checksum file and its signature, check the signature, select the expected
 * digest (fails fast on a bad checksum or signature source). A signature over the image itself is fetched and its
 * signer checked now; the bytes are checked after the download.
 */
async function resolveExpected(ctx: JobContext, image: Image, signal: AbortSignal): Promise<Resolved> {
	const {config, client, log, catalogue} = ctx;
	const required = wantsSignature(image, config);
	if (!image.checksumUrl) {
		if (image.signatureUrl) {
			let signature = catalogue.signedMaterial(image.id)?.signature ?? undefined;
			if (!signature) {
				signature = await fetchSignature(ctx, image.signatureUrl, signal);
				await (await signatures()).precheckImageSignature(config, image, signature);
				catalogue.saveSigned(image.id, {}, {checksumFile: null, signature});
			}

			return {image, imageSignature: signature};
		}

		if (required) {
			throw new SignatureError('signature_invalid', 'a signature is required (--require-signature), but the image has no signature URL and no checksum file that could be signed');
		}

		return {image};
	}

	// Fetched and checked before a restart: the digest (and its signer) are stored.
	if (image.expectedChecksum && (!required || image.signedByFingerprint)) return {image};
	const file = await fetchText(client, image.checksumUrl, {
		retries: config.retries,
		backoff: {baseMs: config.retryBaseMs, maxMs: config.retryMaxMs},
		signal,
		log,
		stallTimeoutMs: config.stallTimeout * 1000,
	});
	const signature = image.signatureUrl ? await fetchSignature(ctx, image.signatureUrl, signal) : undefined;
	let text = file.text;
	let signedBy: SignedBy | null = null;
	if (signature || required || isClearSigned(file.text)) {
		const checked = await (await signatures()).checkChecksumFile(config, image, file, signature, (fingerprint, error) => log.warn('keyring.unreadable', {fingerprint, error}));
		text = checked.text;
		signedBy = checked.signedBy;
		if (checked.notice) {
			log.warn('signature.unchecked', {id: image.id, message: checked.notice});
			ctx.onNotice?.({level: 'warn', id: image.id, message: checked.notice});
		}
	}

	const select = (candidates: string[]) =>
		selectChecksum({
			text,
			checksumFileName: decodedBasename(image.checksumUrl!),
			candidates,
			userType: image.checksumType ?? undefined,
			source: image.checksumUrl!,
		});
	let selected;
	try {
		selected = select([decodedBasename(image.downloadUrl)]);
	} catch (error) {
		// The file may be listed under the name it has after redirects (a mirror's /latest → versioned name).
		if (!(error instanceof ChecksumError) || error.code !== 'no_entry') throw error;
		const finalUrl = await finalUrlOf(client, image.downloadUrl, signal);
		if (!finalUrl || decodedBasename(finalUrl) === decodedBasename(image.downloadUrl)) throw error;
		selected = select([decodedBasename(image.downloadUrl), decodedBasename(finalUrl)]);
	}

	const patch = {
		expectedChecksum: selected.hex,
		checksumType: selected.algorithm,
		...(selected.expectedSize ? {sizeBytes: selected.expectedSize} : {}),
	};
	if (signedBy) {
		catalogue.saveSigned(image.id, {...patch, signedByFingerprint: signedBy.fingerprint, signedByUserId: signedBy.userId, signedAt: signedBy.signedAt}, {checksumFile: file.bytes, signature: signature ?? null});
		log.info('signature.verified', {id: image.id, fingerprint: signedBy.fingerprint, signedAt: signedBy.signedAt});
	} else {
		// Unsigned now (a new checksum URL, a key gone): no signer from an earlier fetch may stay on the row.
		catalogue.update(image.id, {...patch, ...(image.signedByFingerprint ? {signedByFingerprint: null, signedByUserId: null, signedAt: null} : {})});
	}

	log.info('checksum.selected', {id: image.id, algorithm: selected.algorithm, name: selected.name, line: selected.line});
	return {image: catalogue.get(image.id)!, sizeHint: selected.expectedSize};
}

/** The publisher's signed files to keep beside a signed image (none for an unsigned one). */
function keptData(image: Image, material: SignedMaterial | undefined): KeptData[] {
	if (!image.signedByFingerprint || !material) return [];
	return keptFilesFor(image).flatMap(kept => {
		const data = kept.role === 'checksums' ? material.checksumFile : material.signature;
		return data ? [{name: kept.name, data}] : [];
	});
}

/** A signature over the image: check the downloaded bytes and record the signer (throws SignatureError). */
async function checkImageSignature(ctx: JobContext, image: Image, signature: Buffer, file: string): Promise<Image> {
	const signedBy = await (await signatures()).verifyImageFile(ctx.config, image, signature, file);
	ctx.catalogue.update(image.id, {signedByFingerprint: signedBy.fingerprint, signedByUserId: signedBy.userId, signedAt: signedBy.signedAt});
	ctx.log.info('signature.verified', {id: image.id, fingerprint: signedBy.fingerprint, signedAt: signedBy.signedAt});
	return ctx.catalogue.get(image.id)!;
}

/** Where the download URL leads after redirects (a HEAD request), or undefined when that cannot be told. */
async function finalUrlOf(client: HttpClient, url: string, signal: AbortSignal): Promise<string | undefined> {
	try {
		const response = await client.request(url, {method: 'HEAD', signal});
		discardBody(response.body);
		return response.url;
	} catch {
		return undefined;
	}
}

/** The final file is already there (a previous run renamed it, or the user put it there): adopt it if it verifies. */
async function adoptExisting(ctx: JobContext, resolved: Resolved, finalPath: string, signal: AbortSignal): Promise<Image | undefined> {
	let {image} = resolved;
	// A link at the final path or among its directories is refused (SymlinkError), never read or adopted.
	assertNoLink(ctx.config.dataDir, finalPath, {self: true});
	if (!lstatFile(finalPath)) return undefined;
	if (!referenceOf(image).reference) throw new IsomanError('io', foreignFileMessage(finalPath));
	ctx.onImage(ctx.catalogue.transition(image.id, 'verifying', {}, 'existing file found; verifying it'));
	const check = await checkFile(finalPath, image, {
		signal,
		onProgress: (done, total) => ctx.onProgress({id: image.id, phase: 'verifying', downloaded: done, total, rate: 0, eta: null, stalled: false}),
	});
	if (!check.matches) throw new IsomanError('io', foreignFileMessage(finalPath, check));
	if (resolved.imageSignature) image = await checkImageSignature(ctx, image, resolved.imageSignature, finalPath);
	for (const file of keptData(image, ctx.catalogue.signedMaterial(image.id))) await writeFileAtomic(path.dirname(finalPath), file.name, file.data);
	return ctx.catalogue.transition(image.id, 'complete', await adoptChecked(finalPath, check), 'adopted the existing file');
}

/** Run one pending image to its end state. Never throws: every outcome is a row state. */
export async function runJob(ctx: JobContext, pending: Image, signal: AbortSignal): Promise<void> {
	const {catalogue, config, log} = ctx;
	const id = pending.id;
	const partPath = partPathFor(config, id);
	const meter = new RateMeter();
	let image = catalogue.transition(id, 'downloading', {}, null, ['pending']);
	ctx.onImage(image);
	/** Set once the file is at its final path and until its row is complete. */
	let placed: ChecksumAlgorithm | undefined;
	let finalPath = '';
	try {
		// A stored path that breaks the rules (edited or imported rows) fails this row, never the manager.
		finalPath = finalPathFor(config, pending);
		const resolved = await resolveExpected(ctx, image, signal);
		image = resolved.image;
		const adopted = await adoptExisting(ctx, resolved, finalPath, signal);
		if (adopted) {
			ctx.onImage(adopted);
			return;
		}

		ensureRealDir(config.dataDir, config.tmpDir, 0o700);
		const algorithm = image.checksumType ?? 'sha256';
		let lastDurable = 0;
		let durableBytes = image.downloadedBytes;
		let total = image.sizeBytes;
		let lastDownloaded = sizeOf(partPath);
		ctx.onProgress({id, phase: 'preparing', downloaded: lastDownloaded, total, rate: 0, eta: null, stalled: false});
		const result = await (ctx.transfer ?? transfer)({
			client: ctx.client,
			url: image.downloadUrl,
			partPath,
			fileType: image.fileType,
			algorithm,
			validator: {etag: image.etag, lastModified: image.lastModified},
			signal,
			stallTimeoutMs: config.stallTimeout * 1000,
			retries: config.retries,
			backoff: {baseMs: config.retryBaseMs, maxMs: config.retryMaxMs},
			log: log.child({id}),
			// Only the publisher's size hint is a promise; a size seen in an earlier response may have changed since.
			expectedSize: resolved.sizeHint,
			...(ctx.rateLimit ? {rateLimit: ctx.rateLimit} : {}),
			onMeta(meta) {
				total = meta.total ?? total;
				catalogue.update(id, {sizeBytes: total, etag: meta.etag, lastModified: meta.lastModified});
			},
			// Runs inside the .part's write path: it must never throw, or the transfer takes it for a failed write and
			// gives up. Progress is advisory (the .part's size is the truth, and recovery restores the row from it).
			onProgress({downloaded, total: known}) {
				total = known ?? total;
				lastDownloaded = downloaded;
				meter.sample(downloaded);
				try {
					ctx.onProgress({id, phase: 'downloading', downloaded, total, rate: meter.rate(), eta: meter.eta(downloaded, total), stalled: meter.stalled()});
				} catch (error) {
					log.warn('download.progress_listener_failed', {id, error});
				}

				const now = Date.now();
				// At most once a second, but at once when the part shrank (a restart from 0): never more than it holds.
				if (now - lastDurable >= 1000 || downloaded < durableBytes) {
					lastDurable = now;
					try {
						catalogue.setDownloaded(id, downloaded);
						durableBytes = downloaded;
					} catch (error) {
						// SQLITE_BUSY (another process held the catalogue past busy_timeout), SQLITE_FULL: try again later.
						log.warn('download.progress_not_saved', {id, bytes: downloaded, error});
					}
				}
			},
			onRetry(info) {
				const current = catalogue.get(id);
				if (current) catalogue.update(id, {attempts: current.attempts + 1});
				log.warn('download.retry', {id, ...info});
				// The front ends show the wait ("retry 3/8 in 15 s: connection refused") until the next byte arrives.
				if (info.attempt > 0) {
					const retry = {attempt: info.attempt, max: config.retries, at: Date.now() + info.delayMs, reason: info.reason};
					const phase = lastDownloaded > 0 ? 'downloading' : 'preparing';
					ctx.onProgress({id, phase, downloaded: lastDownloaded, total, rate: 0, eta: null, stalled: false, retry});
				}
			},
		});

		image = catalogue.transition(id, 'verifying', {checksum: result.hex, checksumType: algorithm, downloadedBytes: result.bytes, sizeBytes: result.bytes});
		ctx.onImage(image);
		if (image.expectedChecksum && image.expectedChecksum !== result.hex) {
			await removeFile(config.dataDir, partPath);
			image = catalogue.transition(id, 'failed', {
				errorCode: 'checksum_mismatch',
				errorMessage: `checksum mismatch: expected ${algorithm} ${image.expectedChecksum}, got ${result.hex}`,
			});
			ctx.onImage(image);
			return;
		}

		if (resolved.imageSignature) {
			try {
				image = await checkImageSignature(ctx, image, resolved.imageSignature, partPath);
			} catch (error) {
				await removeFile(config.dataDir, partPath);
				throw error;
			}
		}

		await placeFile(
			config.dataDir,
			partPath,
			finalPath,
			algorithm,
			result.hex,
			{...result.file, bytes: result.bytes},
			() => {
				placed = algorithm;
			},
			keptData(image, catalogue.signedMaterial(id)),
		);
		image = catalogue.transition(id, 'complete', {completedAt: new Date().toISOString()}, image.expectedChecksum ? 'verified' : 'unverified (no checksum given)');
		placed = undefined;
		ctx.onImage(image);
	} catch (error) {
		if (placed) {
			log.warn('download.unplaced', {id, path: finalPath, error});
			await unplaceFile(config, image, placed, log, id);
		}

		const reason: unknown = signal.aborted ? signal.reason : undefined;
		if (reason instanceof JobAbort) {
			await settleAbort(ctx, id, partPath, reason.kind);
			return;
		}

		const {code, message} = failure(error instanceof ChecksumError ? new IsomanError('checksum_source', `${error.message}`) : error);
		log.warn('download.failed', {id, code, message});
		await removeFile(config.dataDir, partPath).catch(() => {});
		const current = catalogue.get(id);
		if (current && current.status !== 'failed' && current.status !== 'complete') {
			ctx.onImage(catalogue.transition(id, 'failed', {errorCode: code, errorMessage: message}));
		}
	}
}

async function settleAbort(ctx: JobContext, id: string, partPath: string, kind: AbortKind): Promise<void> {
	const {catalogue} = ctx;
	if (kind === 'remove') return; // the manager deletes the row, then the files
	const current = catalogue.get(id);
	if (!current) return;
	if (kind === 'cancel') {
		await removeFile(ctx.config.dataDir, partPath);
		ctx.onImage(catalogue.transition(id, 'failed', {errorCode: 'cancelled', errorMessage: 'cancelled by the user', downloadedBytes: 0}));
		return;
	}

	const downloadedBytes = sizeOf(partPath);
	if (current.status === 'verifying') {
		// Only the adoption check can be interrupted while verifying; the row goes back to the queue.
		ctx.onImage(catalogue.transition(id, 'pending', {downloadedBytes}, kind === 'pause' ? 'pause requested while verifying' : 'shutdown'));
		if (kind === 'pause') ctx.onImage(catalogue.transition(id, 'paused', {downloadedBytes}));
		return;
	}

	ctx.onImage(catalogue.transition(id, kind === 'pause' ? 'paused' : 'pending', {downloadedBytes}, kind === 'shutdown' ? 'shutdown: will resume at next start' : null));
}
