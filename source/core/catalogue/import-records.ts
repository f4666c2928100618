/**
 * The catalogue side of `isoman import`: rows inserted in the state an import needs (with the source's dates and
 * history), and the `imports` table that remembers which source row became which image. A source row is imported
 * once: the table's primary key is the source's id, and it is written in the same transaction as the image row, so
 * a rerun after a crash finds the half-imported image instead of making a second one.
 */
import {randomBytes} from 'node:crypto';
import {redactUrlsIn} from '../display-text.js';
import type {Catalogue} from './repository.js';
import {identityOf, insertUnique, placeParams} from './repository.js';
import type {ChecksumAlgorithm, Image, Status} from '../types.js';

export type ImportStart = Pick<
	Image,
	| 'name'
	| 'version'
	| 'arch'
	| 'edition'
	| 'fileType'
	| 'filename'
	| 'filePath'
	| 'sizeBytes'
	| 'checksum'
	| 'checksumType'
	| 'expectedChecksum'
	| 'downloadUrl'
	| 'checksumUrl'
	| 'errorCode'
	| 'errorMessage'
	| 'createdAt'
	| 'completedAt'
> & {
	/** `verifying` while the bytes are brought in; the others are final (the history is written with them). */
	status: Extract<Status, 'verifying' | 'pending' | 'failed' | 'missing'>;
	sourceId: string;
	sourceDir: string;
	/** The audit event's detail. */
	detail: string;
};

/** What the source knew about an image's downloads: kept so that stats and trends continue. */
export type ImportHistory = {downloadCount: number; downloadEvents: string[]};

export type ImportRecord = {sourceId: string; imageId: string; sourceDir: string; startedAt: string; finishedAt: string | null};

const nowIso = () => new Date().toISOString();

export class ImportRecords {
	private readonly db;
	private readonly stmts;

	constructor(private readonly catalogue: Catalogue) {
		this.db = catalogue.db;
		this.stmts = {
			bySource: this.db.prepare('SELECT source_id AS sourceId, image_id AS imageId, source_dir AS sourceDir, started_at AS startedAt, finished_at AS finishedAt FROM imports WHERE source_id = ?'),
			byImage: this.db.prepare('SELECT source_id AS sourceId, image_id AS imageId, source_dir AS sourceDir, started_at AS startedAt, finished_at AS finishedAt FROM imports WHERE image_id = ?'),
			record: this.db.prepare('INSERT INTO imports (source_id, image_id, source_dir, started_at, finished_at) VALUES (?, ?, ?, ?, ?)'),
			forget: this.db.prepare('DELETE FROM imports WHERE source_id = ?'),
			finish: this.db.prepare('UPDATE imports SET finished_at = ? WHERE source_id = ?'),
			insert: this.db.prepare(`INSERT INTO images (id, name, version, arch, edition, file_type, filename, file_path, size_bytes, downloaded_bytes,
				status, checksum, checksum_type, expected_checksum, download_url, checksum_url, error_code, error_message, created_at, updated_at, completed_at)
				VALUES (@id, @name, @version, @arch, @edition, @fileType, @filename, @filePath, @sizeBytes, 0,
				@status, @checksum, @checksumType, @expectedChecksum, @downloadUrl, @checksumUrl, @errorCode, @errorMessage, @createdAt, @now, @completedAt)`),
			event: this.db.prepare("INSERT INTO events (image_id, ts, kind, detail) VALUES (?, ?, 'added', ?)"),
			count: this.db.prepare('UPDATE images SET download_count = download_count + ?, updated_at = ? WHERE id = ?'),
			download: this.db.prepare('INSERT INTO download_events (image_id, ts) VALUES (?, ?)'),
		};
	}

	bySource(sourceId: string): ImportRecord | undefined {
		return this.stmts.bySource.get(sourceId) as ImportRecord | undefined;
	}

	byImage(imageId: string): ImportRecord | undefined {
		return this.stmts.byImage.get(imageId) as ImportRecord | undefined;
	}

	/** The id of the image with this identity, if any. */
	identity(image: Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType'>): string | undefined {
		return identityOf(this.db, image);
	}

	/**
	 * Insert the image with its `added` event and its import record, in one transaction. A final status
	 * (pending, failed, missing) also takes `history` and marks the import finished. A clash on the identity index
	 * becomes a DuplicateImageError (the index decides).
	 */
	start(row: ImportStart, history?: ImportHistory): Image {
		const id = randomBytes(6).toString('hex');
		const now = nowIso();
		const final = row.status !== 'verifying';
		insertUnique(this.db, row, () => {
			this.stmts.insert.run({
				id,
				now,
				...placeParams(row),
				sizeBytes: row.sizeBytes,
				status: row.status,
				checksum: row.checksum,
				checksumType: row.checksumType,
				expectedChecksum: row.expectedChecksum,
				downloadUrl: row.downloadUrl,
				checksumUrl: row.checksumUrl,
				errorCode: row.errorCode,
				errorMessage: row.errorMessage === null ? null : redactUrlsIn(row.errorMessage),
				createdAt: row.createdAt,
				completedAt: row.completedAt,
			});
			this.stmts.event.run(id, now, redactUrlsIn(row.detail));
			this.stmts.record.run(row.sourceId, id, row.sourceDir, now, final ? now : null);
			if (final && history) this.addHistory(id, history, now);
		});

		return this.catalogue.get(id)!;
	}

	/** The image's bytes are in place and verified: complete it with the source's dates and history, in one transaction. */
	complete(
		sourceId: string,
		id: string,
		patch: {checksum: string; checksumType: ChecksumAlgorithm; sizeBytes: number; completedAt: string},
		history: ImportHistory,
		detail: string,
	): Image {
		return this.db
			.transaction(() => {
				const current = this.catalogue.get(id);
				const image =
					current?.status === 'complete'
						? current
						: this.catalogue.transition(id, 'complete', {...patch, downloadedBytes: patch.sizeBytes}, detail, ['verifying']);
				if (current?.status === 'complete') this.catalogue.update(id, {completedAt: patch.completedAt});
				this.addHistory(id, history, nowIso());
				this.stmts.finish.run(nowIso(), sourceId);
				return this.catalogue.get(id) ?? image;
			})
			.immediate();
	}

	/** An import that cannot go on (the bytes did not verify): the image row and its record go, in one transaction. */
	abandon(sourceId: string, id: string, detail: string): void {
		this.db
			.transaction(() => {
				this.catalogue.remove(id, detail);
				this.stmts.forget.run(sourceId);
			})
			.immediate();
	}

	/** The record of an image that is no longer in the library (removed since): the source row may be imported again. */
	forget(sourceId: string): void {
		this.stmts.forget.run(sourceId);
	}

	private addHistory(id: string, history: ImportHistory, now: string): void {
		if (history.downloadCount > 0) this.stmts.count.run(history.downloadCount, now, id);
		for (const ts of history.downloadEvents) this.stmts.download.run(id, ts);
	}
}
