/**
 * Catalogue side of editing an image: one transaction that checks the image is still in a state the edit allows,
 * writes the new identity and sources (and a status change when the edit re-queues it), records the audit event,
 * and — for an image whose file must move — records the move in `moves` BEFORE any file is touched. The UNIQUE
 * indexes decide identity clashes (a DuplicateImageError carrying the existing id), never a read-then-write.
 */
import type {Image, Status} from '../types.js';
import {IsomanError} from '../types.js';
import {DuplicateImageError, NotFoundError, type Catalogue, type ImagePatch} from './repository.js';
import {canTransition, eventKindFor} from './transitions.js';

export type Identity = Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType' | 'filename' | 'filePath'>;
export type Sources = Pick<Image, 'downloadUrl' | 'checksumUrl' | 'checksumType' | 'expectedChecksum'>;
export type MoveRecord = {imageId: string; from: Identity; to: Identity; createdAt: string};

export type EditCommit = {
	/** States the image must still be in (else `refusal` is thrown). */
	expect: readonly Status[];
	refusal: (image: Image) => string;
	identity: Identity;
	sources: Sources;
	/** A status change (re-queue) and the fields it resets. */
	to?: Status;
	patch?: ImagePatch;
	/** Record a move of the image's file from its current path to `identity`'s. */
	move?: boolean;
	/** The checksum source changed: forget who signed the old one and the signed files kept for it. */
	forgetSignature?: boolean;
	detail: string;
};

const PATCH_COLUMNS: Record<keyof ImagePatch, string> = {
	sizeBytes: 'size_bytes',
	downloadedBytes: 'downloaded_bytes',
	checksum: 'checksum',
	checksumType: 'checksum_type',
	expectedChecksum: 'expected_checksum',
	errorCode: 'error_code',
	errorMessage: 'error_message',
	etag: 'etag',
	lastModified: 'last_modified',
	attempts: 'attempts',
	completedAt: 'completed_at',
	verifiedAt: 'verified_at',
	maxRate: 'max_rate',
	signedByFingerprint: 'signed_by_fingerprint',
	signedByUserId: 'signed_by_user_id',
	signedAt: 'signed_at',
};

export const identityOf = (image: Image): Identity => ({
	name: image.name,
	version: image.version,
	arch: image.arch,
	edition: image.edition,
	fileType: image.fileType,
	filename: image.filename,
	filePath: image.filePath,
});

export function commitEdit(catalogue: Catalogue, id: string, edit: EditCommit): Image {
	const {db} = catalogue;
	try {
		return db
			.transaction(() => {
				const current = catalogue.get(id);
				if (!current) throw new NotFoundError(id);
				if (!edit.expect.includes(current.status) || (edit.to && !canTransition(current.status, edit.to))) {
					throw new IsomanError('invalid_state', edit.refusal(current));
				}

				const now = new Date().toISOString();
				const {identity: n, sources: s} = edit;
				const values: Record<string, unknown> = {
					name: n.name,
					version: n.version,
					arch: n.arch,
					edition: n.edition ?? '',
					file_type: n.fileType,
					filename: n.filename,
					file_path: n.filePath,
					download_url: s.downloadUrl,
					checksum_url: s.checksumUrl,
					checksum_type: s.checksumType,
					expected_checksum: s.expectedChecksum,
					updated_at: now,
				};
				for (const [key, value] of Object.entries(edit.patch ?? {})) values[PATCH_COLUMNS[key as keyof ImagePatch]] = value;
				if (edit.to) {
					values['status'] = edit.to;
					if (edit.to !== 'failed') {
						values['error_code'] = null;
						values['error_message'] = null;
					}
				}

				const columns = Object.keys(values);
				db.prepare(`UPDATE images SET ${columns.map(c => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({...values, id});
				if (edit.forgetSignature) catalogue.clearSigned(id, false);
				if (edit.move) {
					db.prepare('INSERT INTO moves (image_id, from_json, to_json, created_at) VALUES (?, ?, ?, ?)').run(id, JSON.stringify(identityOf(current)), JSON.stringify(n), now);
				}

				const kind = edit.to ? eventKindFor(current.status, edit.to) : 'edited';
				catalogue.addEvent(id, kind, edit.detail);
				if (edit.to) catalogue.addEvent(id, 'edited', edit.detail);
				return catalogue.get(id)!;
			})
			.immediate();
	} catch (error) {
		if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) {
			const n = edit.identity;
			const existing = db
				.prepare('SELECT id FROM images WHERE id != ? AND ((name = ? AND version = ? AND arch = ? AND edition = ? AND file_type = ?) OR file_path = ?)')
				.pluck()
				.get(id, n.name, n.version, n.arch, n.edition ?? '', n.fileType, n.filePath) as string | undefined;
			if (existing) throw new DuplicateImageError(existing);
		}

		throw error;
	}
}

export function pendingMoves(catalogue: Catalogue): MoveRecord[] {
	const rows = catalogue.db.prepare('SELECT image_id, from_json, to_json, created_at FROM moves ORDER BY created_at').raw().all() as Array<[string, string, string, string]>;
	return rows.map(([imageId, from, to, createdAt]) => ({imageId, from: JSON.parse(from) as Identity, to: JSON.parse(to) as Identity, createdAt}));
}

export function moveFor(catalogue: Catalogue, id: string): MoveRecord | undefined {
	return pendingMoves(catalogue).find(m => m.imageId === id);
}

/** The move is done on disk: forget it. */
export function forgetMove(catalogue: Catalogue, id: string): void {
	catalogue.db.prepare('DELETE FROM moves WHERE image_id = ?').run(id);
}

/** Undo a move that cannot be finished: the row names the old path again (where the file still is). */
export function revertMove(catalogue: Catalogue, move: MoveRecord, reason: string): void {
	const {db} = catalogue;
	db.transaction(() => {
		const f = move.from;
		db.prepare('UPDATE images SET name = ?, version = ?, arch = ?, edition = ?, file_type = ?, filename = ?, file_path = ?, updated_at = ? WHERE id = ?').run(
			f.name,
			f.version,
			f.arch,
			f.edition ?? '',
			f.fileType,
			f.filename,
			f.filePath,
			new Date().toISOString(),
			move.imageId,
		);
		db.prepare('DELETE FROM moves WHERE image_id = ?').run(move.imageId);
		catalogue.addEvent(move.imageId, 'edited', `move undone: ${reason}`);
	}).immediate();
}
