/**
 * Editing an image (`isoman edit`, `PUT /api/isos/:id`, the TUI's edit form): the same validation as `add`, then
 *   - new name/version/arch/edition on a complete image: its file and sidecar move to the new path, and the
 *     directories left empty are removed;
 *   - new URLs (download, checksum) on a failed or paused image: it is queued again. A paused image keeps its
 *     .part only when it has a validator (ETag / Last-Modified) for If-Range: the new URL then either serves the
 *     same validator and the download resumes, or it does not and the download starts over from byte 0;
 *   - any other state: refused, with the reason (`editRefusal`).
 *
 * THE MOVE IS CRASH-SAFE. Order of operations, and what a kill -9 after each step leaves for recovery:
 *   1. one transaction: the row gets its new identity and path, and the move (old and new identity) is recorded
 *      in `moves`.                      crash before: nothing changed. After: recovery finishes the move.
 *   2. rename the file old → new (one atomic rename: there is never a second copy), fsync both directories.
 *                                        crash: the file is at one of the two paths; recovery renames it if needed.
 *   3. the sidecar is written for the new name at the new path, the old one deleted; a signed image's kept files
 *      (<file>.checksums, .sig) renamed along.                                      crash: recovery redoes it.
 *   4. empty directories left at the old path removed; the move is forgotten.          crash: recovery redoes it.
 * If the file cannot be moved (a different file appeared at the new path), the move is undone: the row names the
 * old path again. So after any crash, recovery leaves exactly one copy, at the path the row names.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Config} from '../config.js';
import {identityOfSpec, resolveChecksum, resolveSpec, ValidationError, type FieldProblem} from './add-input.js';
import {commitEdit, forgetMove, identityOf, revertMove, type Identity, type MoveRecord, type Sources} from './catalogue/edits.js';
import {DuplicateImageError, type Catalogue} from './catalogue/repository.js';
import {sidecarFileName, writeSidecar} from './checksum/index.js';
import {fsyncDirectory} from './fsync.js';
import {resolveInside} from './naming.js';
import {keptFilesFor, partPathFor} from './paths.js';
import {assertNoLink, ensureRealDir, removeFile} from './safe-fs.js';
import {checkAction, statesAllowing} from './rules.js';
import {IsomanError, type Image, type Logger, type Status} from './types.js';

/** What can be changed; `undefined` = unchanged, `""` = none (edition, checksum URL). */
export type EditPatch = {
	name?: string;
	version?: string;
	arch?: string;
	edition?: string | null;
	url?: string;
	checksumUrl?: string | null;
	/** `[ALG:]HEX` */
	checksum?: string | null;
	checksumType?: string | null;
};

const IDENTITY_FIELDS = ['name', 'version', 'arch', 'edition'] as const;
const SOURCE_FIELDS = ['url', 'checksumUrl', 'checksum', 'checksumType'] as const;

/** The states in which an image can be edited at all (the rules module decides, with the reason when not). */
export const EDITABLE_STATES: readonly Status[] = statesAllowing('edit');

/** Why this edit may not be made to `image` now, or undefined when it may (a URL change needs `editUrl`). */
export function editRefusal(image: Pick<Image, 'id' | 'status'>, change: {identity: boolean; sources: boolean}): string | undefined {
	const verdict = checkAction(change.sources ? 'editUrl' : 'edit', image);
	return verdict.allowed ? undefined : verdict.reason;
}

export type EditPlan = {
	image: Image;
	identity: Identity;
	sources: Sources;
	identityChanged: boolean;
	sourcesChanged: boolean;
};

const blank = (s: string | null | undefined) => s === undefined || s === null || s.trim() === '';

/** Validate the patch against the image (the same code as `add`); no I/O. Throws ValidationError. */
export function planEdit(image: Image, patch: EditPatch): EditPlan {
	const problems: FieldProblem[] = [];
	const url = patch.url ?? image.downloadUrl;
	const spec = resolveSpec(
		{
			url,
			name: patch.name ?? image.name,
			version: patch.version ?? image.version,
			arch: patch.arch ?? image.arch,
			edition: patch.edition !== undefined ? (patch.edition ?? '') : (image.edition ?? ''),
			// A URL that names no file (added with a type, or a server's file name) keeps the image's.
			fileName: image.filename,
		},
		problems,
	);
	// Required fields cannot be emptied (add infers them from the URL; an edit keeps what there is).
	for (const field of ['name', 'version', 'arch'] as const) {
		if (patch[field] !== undefined && blank(patch[field]) && !problems.some(p => p.field === field)) problems.push({field, message: `${field}: must not be empty`});
	}

	if (patch.url !== undefined && blank(patch.url) && !problems.some(p => p.field === 'url')) problems.push({field: 'url', message: 'url: must not be empty'});

	const checksumGiven = patch.checksumUrl !== undefined || patch.checksum !== undefined || patch.checksumType !== undefined;
	let sources: Sources = {downloadUrl: url.trim(), checksumUrl: image.checksumUrl, checksumType: image.checksumType, expectedChecksum: image.expectedChecksum};
	if (checksumGiven) {
		const viaDigest = !blank(patch.checksum);
		const checksum = resolveChecksum(
			{
				checksumUrl: viaDigest ? null : patch.checksumUrl !== undefined ? patch.checksumUrl : image.checksumUrl,
				checksum: patch.checksum ?? null,
				checksumType: patch.checksumType ?? (viaDigest || patch.checksumUrl !== undefined ? null : image.checksumUrl ? null : image.checksumType),
			},
			problems,
		);
		if (checksum) {
			// Unchanged sources keep the digest they told (a checksum file's, fetched once).
			const sameUrl = checksum.checksumUrl !== null && checksum.checksumUrl === image.checksumUrl && checksum.checksumType === null;
			sources = {
				downloadUrl: sources.downloadUrl,
				checksumUrl: checksum.checksumUrl ?? null,
				checksumType: sameUrl ? image.checksumType : (checksum.checksumType ?? null),
				expectedChecksum: sameUrl ? image.expectedChecksum : (checksum.expectedChecksum ?? null),
			};
		}
	}

	// A signature URL signs the checksum file when there is one, else the image: which it signs cannot change.
	if (image.signatureUrl && (sources.checksumUrl === null) !== (image.checksumUrl === null) && !problems.some(p => p.field.startsWith('checksum'))) {
		const field = patch.checksumUrl !== undefined && !blank(patch.checksumUrl) ? 'checksum_url' : 'checksum';
		problems.push({
			field,
			message: `${field}: this image's signature URL signs ${image.checksumUrl ? 'its checksum file' : 'the image itself'}; ${image.checksumUrl ? 'without a checksum URL it would be read as a signature over the image' : 'with a checksum URL it would be read as a signature over that file'}: remove the image and add it again`,
		});
	}

	if (!spec || problems.length > 0) throw new ValidationError(problems);
	const identity: Identity = identityOfSpec(spec);
	const before = identityOf(image);
	const identityChanged = (Object.keys(identity) as Array<keyof Identity>).some(k => identity[k] !== before[k]);
	const sourcesChanged =
		sources.downloadUrl !== image.downloadUrl ||
		sources.checksumUrl !== image.checksumUrl ||
		sources.checksumType !== image.checksumType ||
		sources.expectedChecksum !== image.expectedChecksum;
	return {image, identity, sources, identityChanged, sourcesChanged};
}

export type EditContext = {catalogue: Catalogue; config: Config; log: Logger};

/** Carry out an edit (validated by planEdit). Returns the row as it is afterwards. */
export async function applyEdit(ctx: EditContext, image: Image, patch: EditPatch): Promise<Image> {
	const plan = planEdit(image, patch);
	if (!plan.identityChanged && !plan.sourcesChanged) return image;
	const change = {identity: plan.identityChanged, sources: plan.sourcesChanged};
	const refused = editRefusal(image, change);
	if (refused) throw new IsomanError('invalid_state', refused);
	const refusal = (now: Image) => editRefusal(now, change) ?? `image ${now.id} changed state while it was being edited; try again`;
	const detail = describe(image, plan);
	// A file sits at the old path for a complete image, and for a failed one whose file was found corrupt.
	const oldFile = resolveInside(ctx.config.imagesDir, image.filePath);
	const hasFile = image.status === 'complete' || (image.status === 'failed' && image.errorCode === 'corrupt' && fs.existsSync(oldFile));
	const move = plan.identityChanged && hasFile;
	if (plan.identityChanged) {
		// Another image with this identity: say which (the UNIQUE index still decides at the commit).
		const other = ctx.catalogue.list().find(i => i.id !== image.id && (i.filePath === plan.identity.filePath || (i.name === plan.identity.name && i.version === plan.identity.version && i.arch === plan.identity.arch && i.edition === plan.identity.edition && i.fileType === plan.identity.fileType)));
		if (other) throw new DuplicateImageError(other.id);
	}

	if (move) {
		const target = resolveInside(ctx.config.imagesDir, plan.identity.filePath);
		if (fs.lstatSync(target, {throwIfNoEntry: false})) {
			throw new IsomanError('invalid_state', `a file already exists at ${plan.identity.filePath} that is not in the library: move it away first`);
		}
	}

	if (!plan.sourcesChanged) {
		const updated = commitEdit(ctx.catalogue, image.id, {expect: [image.status], refusal, identity: plan.identity, sources: plan.sources, move, detail});
		ctx.log.info('image.edited', {id: image.id, from: image.filePath, to: updated.filePath});
		if (move) await finishMove(ctx, {imageId: image.id, from: identityOf(image), to: plan.identity, createdAt: updated.updatedAt});
		return ctx.catalogue.get(image.id) ?? updated;
	}

	// New sources: queue it again. A paused download keeps its .part when If-Range can tell whether it still fits.
	const keepPart = image.status === 'paused' && (image.etag !== null || image.lastModified !== null);
	if (!keepPart) await removeFile(ctx.config.tmpDir, partPathFor(ctx.config, image.id));
	if (hasFile) await removeFile(ctx.config.imagesDir, oldFile);
	const updated = commitEdit(ctx.catalogue, image.id, {
		expect: [image.status],
		refusal,
		identity: plan.identity,
		sources: plan.sources,
		to: 'pending',
		// What a signature vouched for was the old checksum source's digest; a new download URL keeps it.
		forgetSignature: plan.sources.checksumUrl !== image.checksumUrl || plan.sources.expectedChecksum !== image.expectedChecksum,
		patch: keepPart
			? {attempts: 0, checksum: null}
			: {attempts: 0, downloadedBytes: 0, sizeBytes: null, checksum: null, etag: null, lastModified: null, completedAt: null},
		detail,
	});
	ctx.log.info('image.edited', {id: image.id, requeued: true, keptPart: keepPart});
	return updated;
}

function describe(image: Image, plan: EditPlan): string {
	const changes: string[] = [];
	if (plan.identityChanged) changes.push(`${image.filePath} → ${plan.identity.filePath}`);
	if (plan.sources.downloadUrl !== image.downloadUrl) changes.push('new download URL');
	if (plan.sources.checksumUrl !== image.checksumUrl || plan.sources.expectedChecksum !== image.expectedChecksum) changes.push('new checksum source');
	return `edited: ${changes.join('; ') || 'no change'}`;
}

async function exists(file: string): Promise<boolean> {
	return (await fsp.lstat(file).catch(() => undefined)) !== undefined;
}

/** Remove `dir` and its parents while they are empty, never `imagesDir` itself nor anything outside it. */
async function removeEmptyDirs(imagesDir: string, dir: string): Promise<void> {
	let current = dir;
	while (current.startsWith(imagesDir + path.sep) && current !== imagesDir) {
		try {
			await fsp.rmdir(current);
		} catch {
			return; // not empty (or gone): stop
		}

		current = path.dirname(current);
	}
}

/**
 * Bring disk and row together for a recorded move (after step 1; idempotent, so recovery runs it as it is).
 * Returns 'finished', or 'undone' when the file could only stay where it was.
 */
export async function finishMove(ctx: EditContext, move: MoveRecord): Promise<'finished' | 'undone'> {
	const {imagesDir} = ctx.config;
	const from = resolveInside(imagesDir, move.from.filePath);
	const to = resolveInside(imagesDir, move.to.filePath);
	const image = ctx.catalogue.get(move.imageId);
	if (!image) {
		forgetMove(ctx.catalogue, move.imageId);
		return 'finished';
	}

	const atFrom = await exists(from);
	const atTo = await exists(to);
	if (atFrom && atTo) {
		// Something else appeared at the new path: ours is still at the old one. Keep both files; undo the move.
		revertMove(ctx.catalogue, move, `a different file appeared at ${move.to.filePath}`);
		ctx.log.warn('image.move_undone', {id: move.imageId, from: move.from.filePath, to: move.to.filePath});
		return 'undone';
	}

	// Never through a symbolic link: not the file, not a directory on the way.
	assertNoLink(imagesDir, from, {self: true});
	assertNoLink(imagesDir, to, {self: true});
	if (atFrom) {
		ensureRealDir(imagesDir, path.dirname(to));
		await fsp.rename(from, to);
		await fsyncDirectory(path.dirname(to));
		await fsyncDirectory(path.dirname(from));
	}

	const alg = image.checksumType;
	if (alg) {
		if (image.checksum && (atFrom || atTo)) await writeSidecar(path.dirname(to), path.basename(to), alg, image.checksum);
		const oldSidecar = path.join(path.dirname(from), sidecarFileName(move.from.filename, alg));
		if (oldSidecar !== path.join(path.dirname(to), sidecarFileName(move.to.filename, alg))) await removeFile(imagesDir, oldSidecar);
	}

	// A signed image's kept publisher files (checksum file, signature) follow it; idempotent like the rest.
	const newKept = keptFilesFor(image);
	for (const [index, kept] of keptFilesFor({...image, filename: move.from.filename}).entries()) {
		const oldKept = path.join(path.dirname(from), kept.name);
		const target = path.join(path.dirname(to), newKept[index]!.name);
		if (oldKept === target || !(await exists(oldKept))) continue;
		assertNoLink(imagesDir, oldKept, {self: true});
		assertNoLink(imagesDir, target, {self: true});
		await fsp.rename(oldKept, target);
	}

	await removeEmptyDirs(imagesDir, path.dirname(from));
	forgetMove(ctx.catalogue, move.imageId);
	ctx.log.info('image.moved', {id: move.imageId, from: move.from.filePath, to: move.to.filePath});
	return 'finished';
}
