/**
 * The one place that maps catalogue rows to objects: one column list, one scan function, typed errors.
 * All writes that change `status` go through `transition`, which refuses illegal moves and appends
 * the audit event in the same transaction.
 */
import {randomBytes} from 'node:crypto';
import type Database from 'better-sqlite3';
import type {AuditEvent, ChecksumAlgorithm, EventKind, Image, Status} from '../types.js';
import {IsomanError, toErrorCode} from '../types.js';
import {redactUrlsIn} from '../display-text.js';
import {IllegalTransitionError, canTransition, eventKindFor} from './transitions.js';

/** Column ↔ field map; the order is the SELECT order. */
const COLUMNS = {
	id: 'id',
	name: 'name',
	version: 'version',
	arch: 'arch',
	edition: 'edition',
	fileType: 'file_type',
	filename: 'filename',
	filePath: 'file_path',
	sizeBytes: 'size_bytes',
	downloadedBytes: 'downloaded_bytes',
	status: 'status',
	checksum: 'checksum',
	checksumType: 'checksum_type',
	expectedChecksum: 'expected_checksum',
	downloadUrl: 'download_url',
	checksumUrl: 'checksum_url',
	errorCode: 'error_code',
	errorMessage: 'error_message',
	etag: 'etag',
	lastModified: 'last_modified',
	attempts: 'attempts',
	createdAt: 'created_at',
	updatedAt: 'updated_at',
	completedAt: 'completed_at',
	downloadCount: 'download_count',
	bytesServed: 'bytes_served',
	verifiedAt: 'verified_at',
	maxRate: 'max_rate',
	signatureUrl: 'signature_url',
	signingKey: 'signing_key',
	requireSignature: 'require_signature',
	signedByFingerprint: 'signed_by_fingerprint',
	signedByUserId: 'signed_by_user_id',
	signedAt: 'signed_at',
} as const satisfies Record<keyof Image, string>;

/** A row as better-sqlite3 returns it in raw mode: the values in COLUMNS order (no object built per row). */
type Row = unknown[];

const SELECT = `SELECT ${Object.values(COLUMNS).join(', ')} FROM images`;

/** Each field's position in a raw row. */
const AT = Object.fromEntries(Object.keys(COLUMNS).map((field, i) => [field, i])) as Record<keyof Image, number>;

/**
 * Row → Image. The empty edition stored for the UNIQUE index reads back as null. Rows come as arrays (raw mode):
 * better-sqlite3 building an object per row with 34 named columns cost more than the query (10,000 rows: ~2×).
 */
function scanImage(row: Row): Image {
	return {
		id: row[AT.id] as string,
		name: row[AT.name] as string,
		version: row[AT.version] as string,
		arch: row[AT.arch] as string,
		edition: (row[AT.edition] as string) || null,
		fileType: row[AT.fileType] as string,
		filename: row[AT.filename] as string,
		filePath: row[AT.filePath] as string,
		sizeBytes: row[AT.sizeBytes] as number | null,
		downloadedBytes: row[AT.downloadedBytes] as number,
		status: row[AT.status] as Status,
		checksum: row[AT.checksum] as string | null,
		checksumType: row[AT.checksumType] as ChecksumAlgorithm | null,
		expectedChecksum: row[AT.expectedChecksum] as string | null,
		downloadUrl: row[AT.downloadUrl] as string,
		checksumUrl: row[AT.checksumUrl] as string | null,
		errorCode: row[AT.errorCode] === null ? null : toErrorCode(row[AT.errorCode] as string),
		errorMessage: row[AT.errorMessage] as string | null,
		etag: row[AT.etag] as string | null,
		lastModified: row[AT.lastModified] as string | null,
		attempts: row[AT.attempts] as number,
		createdAt: row[AT.createdAt] as string,
		updatedAt: row[AT.updatedAt] as string,
		completedAt: row[AT.completedAt] as string | null,
		downloadCount: row[AT.downloadCount] as number,
		bytesServed: row[AT.bytesServed] as number,
		verifiedAt: row[AT.verifiedAt] as string | null,
		maxRate: row[AT.maxRate] as number | null,
		signatureUrl: row[AT.signatureUrl] as string | null,
		signingKey: row[AT.signingKey] as string | null,
		requireSignature: row[AT.requireSignature] === 1,
		signedByFingerprint: row[AT.signedByFingerprint] as string | null,
		signedByUserId: row[AT.signedByUserId] as string | null,
		signedAt: row[AT.signedAt] as string | null,
	};
}

export class DuplicateImageError extends IsomanError {
	constructor(readonly existingId: string) {
		super('duplicate', `this image is already in the library as ${existingId}`);
		this.name = 'DuplicateImageError';
	}
}

export class NotFoundError extends IsomanError {
	constructor(readonly ref: string, detail = 'no image with that id') {
		super('not_found', `${ref}: ${detail}`);
		this.name = 'NotFoundError';
	}
}

export type NewImage = Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType' | 'filename' | 'filePath' | 'downloadUrl'> &
	Partial<Pick<Image, 'checksumUrl' | 'checksumType' | 'expectedChecksum' | 'sizeBytes' | 'maxRate' | 'signatureUrl' | 'signingKey' | 'requireSignature'>>;

/** What a signature was checked over, kept until the image is placed (then written beside it). */
export type SignedMaterial = {checksumFile: Buffer | null; signature: Buffer | null};

/** Fields a transition may set along with the status. */
export type ImagePatch = Partial<
	Pick<
		Image,
		| 'sizeBytes'
		| 'downloadedBytes'
		| 'checksum'
		| 'checksumType'
		| 'expectedChecksum'
		| 'errorCode'
		| 'errorMessage'
		| 'etag'
		| 'lastModified'
		| 'attempts'
		| 'completedAt'
		| 'verifiedAt'
		| 'maxRate'
		| 'signedByFingerprint'
		| 'signedByUserId'
		| 'signedAt'
	>
>;

/** A command row: queued by a client, `running` once the owner took it, then its outcome until the sender reads it. */
export type CommandState = 'queued' | 'running' | 'done' | 'refused' | 'failed';
export type Command = {id: number; action: string; imageId: string | null; argument: string | null; createdAt: string; requestedBy: number | null};
export type CommandReply = {state: CommandState; reply: string | null};

const nowIso = () => new Date().toISOString();

type Placed = Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType' | 'filename' | 'filePath'>;

/** The identity and place columns every insert writes (the empty edition stands for none in the UNIQUE index). */
export function placeParams(image: Placed) {
	return {
		name: image.name,
		version: image.version,
		arch: image.arch,
		edition: image.edition ?? '',
		fileType: image.fileType,
		filename: image.filename,
		filePath: image.filePath,
	};
}

/** The id of the image with this identity, if any. */
export function identityOf(db: Database.Database, image: Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType'>): string | undefined {
	const row = db.prepare('SELECT id FROM images WHERE name = ? AND version = ? AND arch = ? AND edition = ? AND file_type = ?')
		.get(image.name, image.version, image.arch, image.edition ?? '', image.fileType) as {id: string} | undefined;
	return row?.id;
}

/**
 * Run an insert in one immediate transaction; a clash on the identity index becomes a DuplicateImageError carrying
 * the existing id (the index decides; there is no read-then-insert).
 */
export function insertUnique(db: Database.Database, image: Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType'>, run: () => void): void {
	try {
		db.transaction(run).immediate();
	} catch (error) {
		if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) {
			const existing = identityOf(db, image);
			if (existing) throw new DuplicateImageError(existing);
		}

		throw error;
	}
}

export class Catalogue {
	private readonly stmts;

	constructor(readonly db: Database.Database) {
		this.stmts = {
			get: db.prepare(`${SELECT} WHERE id = ?`).raw(true),
			byPrefix: db.prepare(`${SELECT} WHERE id LIKE ? ESCAPE '\\' LIMIT 2`).raw(true),
			list: db.prepare(`${SELECT} ORDER BY name, version, arch, edition, file_type`).raw(true),
			byStatus: db.prepare(`${SELECT} WHERE status = ? ORDER BY created_at, rowid`).raw(true),
			insert: db.prepare(`INSERT INTO images (id, name, version, arch, edition, file_type, filename, file_path, size_bytes, status,
				checksum_type, expected_checksum, download_url, checksum_url, created_at, updated_at, max_rate, signature_url, signing_key, require_signature)
				VALUES (@id, @name, @version, @arch, @edition, @fileType, @filename, @filePath, @sizeBytes, 'pending',
				@checksumType, @expectedChecksum, @downloadUrl, @checksumUrl, @now, @now, @maxRate, @signatureUrl, @signingKey, @requireSignature)`),
			event: db.prepare('INSERT INTO events (image_id, ts, kind, detail) VALUES (?, ?, ?, ?)'),
			events: db.prepare('SELECT id, image_id, ts, kind, detail FROM events WHERE image_id = ? ORDER BY id DESC LIMIT ?'),
			remove: db.prepare('DELETE FROM images WHERE id = ?'),
			removeMaterial: db.prepare('DELETE FROM signed_material WHERE image_id = ?'),
			material: db.prepare('SELECT checksum_file, signature FROM signed_material WHERE image_id = ?'),
			saveMaterial: db.prepare('INSERT OR REPLACE INTO signed_material (image_id, checksum_file, signature) VALUES (?, ?, ?)'),
			progress: db.prepare('UPDATE images SET downloaded_bytes = ?, updated_at = ? WHERE id = ?'),
			dataVersion: db.prepare('PRAGMA data_version').pluck(),
			completeByPath: db.prepare(`${SELECT} WHERE file_path = ? AND status = 'complete'`).raw(true),
			served: db.prepare('UPDATE images SET bytes_served = bytes_served + ?, download_count = download_count + ? WHERE id = ?'),
			downloadEvent: db.prepare('INSERT INTO download_events (image_id, ts) VALUES (?, ?)'),
			leastRecentlyVerified: db.prepare(`${SELECT} WHERE status = 'complete' ORDER BY coalesce(verified_at, completed_at, '') ASC, rowid LIMIT 1`).raw(true),
			completeCount: db.prepare("SELECT count(*) FROM images WHERE status = 'complete'").pluck(),
		};
	}

	/** The audit log holds no password: URLs in `detail` are stored with theirs as `***`. */
	private recordEvent(id: string, ts: string, kind: EventKind, detail: string | null): void {
		this.stmts.event.run(id, ts, kind, detail === null ? null : redactUrlsIn(detail));
	}

	get(id: string): Image | undefined {
		const row = this.stmts.get.get(id) as Row | undefined;
		return row && scanImage(row);
	}

	/** By full id or a unique prefix (like git). Throws NotFoundError when none or several match. */
	resolve(ref: string): Image {
		const exact = this.get(ref);
		if (exact) return exact;
		if (!/^[0-9a-f]{1,32}$/i.test(ref)) throw new NotFoundError(ref);
		const rows = this.stmts.byPrefix.all(`${ref.toLowerCase()}%`) as Row[];
		if (rows.length === 0) throw new NotFoundError(ref);
		if (rows.length > 1) throw new NotFoundError(ref, 'ambiguous id prefix: give more characters');
		return scanImage(rows[0]!);
	}

	list(): Image[] {
		return (this.stmts.list.all() as Row[]).map(scanImage);
	}

	/** Per row, what changes whenever the row does (`status|updated_at|downloaded_bytes|bytes_served`): cheap change detection. */
	stamps(): Map<string, string> {
		const rows = this.db.prepare("SELECT id, status || '|' || updated_at || '|' || downloaded_bytes || '|' || bytes_served AS stamp FROM images").all() as Array<{id: string; stamp: string}>;
		return new Map(rows.map(r => [r.id, r.stamp]));
	}

	withStatus(status: Status): Image[] {
		return (this.stmts.byStatus.all(status) as Row[]).map(scanImage);
	}

	/**
	 * Insert a pending image and its `added` event in one transaction. A clash on the identity index becomes a
	 * DuplicateImageError carrying the existing id (the index decides; there is no read-then-insert).
	 */
	insert(image: NewImage, detail?: string): Image {
		const id = randomBytes(6).toString('hex');
		const now = nowIso();
		insertUnique(this.db, image, () => {
			this.stmts.insert.run({
				id,
				now,
				...placeParams(image),
				sizeBytes: image.sizeBytes ?? null,
				checksumType: image.checksumType ?? null,
				expectedChecksum: image.expectedChecksum ?? null,
				downloadUrl: image.downloadUrl,
				checksumUrl: image.checksumUrl ?? null,
				maxRate: image.maxRate ?? null,
				signatureUrl: image.signatureUrl ?? null,
				signingKey: image.signingKey ?? null,
				requireSignature: image.requireSignature ? 1 : 0,
			});
			this.recordEvent(id, now, 'added', detail ?? image.downloadUrl);
		});

		return this.get(id)!;
	}

	/**
	 * Move an image to `to`, setting `patch` with it, and record the audit event — atomically. Refuses illegal
	 * transitions with IllegalTransitionError. With `expect`, also refuses unless the current status is one of them.
	 */
	transition(id: string, to: Status, patch: ImagePatch = {}, detail?: string | null, expect?: readonly Status[]): Image {
		return this.db
			.transaction(() => {
				const current = this.get(id);
				if (!current) throw new NotFoundError(id);
				if (!canTransition(current.status, to) || (expect && !expect.includes(current.status))) {
					throw new IllegalTransitionError(id, current.status, to);
				}

				const now = nowIso();
				const fields: Record<string, unknown> = {...patch};
				if (typeof patch.errorMessage === 'string') fields['errorMessage'] = redactUrlsIn(patch.errorMessage);
				if (to !== 'failed' && patch.errorCode === undefined) {
					fields['errorCode'] = null;
					fields['errorMessage'] = null;
				}

				// Every way into `complete` has just hashed the file to its digest.
				if (to === 'complete' && patch.verifiedAt === undefined) fields['verifiedAt'] = now;

				const sets = Object.keys(fields).map(key => `${COLUMNS[key as keyof Image]} = @${key}`);
				this.db.prepare(`UPDATE images SET status = @status, updated_at = @now${sets.map(s => ', ' + s).join('')} WHERE id = @id`).run({
					...fields,
					status: to,
					now,
					id,
				});
				const kind = eventKindFor(current.status, to, patch.errorCode);
				this.recordEvent(id, now, kind, detail ?? patch.errorMessage ?? null);
				return this.get(id)!;
			})
			.immediate();
	}

	/** Update fields that are not the status (resume validators, sizes, attempts). */
	update(id: string, patch: ImagePatch): void {
		const keys = Object.keys(patch);
		if (keys.length === 0) return;
		const sets = keys.map(key => `${COLUMNS[key as keyof Image]} = @${key}`).join(', ');
		const fields = typeof patch.errorMessage === 'string' ? {...patch, errorMessage: redactUrlsIn(patch.errorMessage)} : patch;
		this.db.prepare(`UPDATE images SET ${sets}, updated_at = @now WHERE id = @id`).run({...fields, now: nowIso(), id});
	}

	/**
	 * Store what a signature was verified over together with the fields that record the result (expected digest,
	 * signer), in one transaction: a crash leaves both or neither.
	 */
	saveSigned(id: string, patch: ImagePatch, material: SignedMaterial): void {
		this.db
			.transaction(() => {
				this.update(id, patch);
				this.stmts.saveMaterial.run(id, material.checksumFile, material.signature);
			})
			.immediate();
	}

	/** The signed material stored by saveSigned, if any. */
	signedMaterial(id: string): SignedMaterial | undefined {
		const row = this.stmts.material.get(id) as {checksum_file: Buffer | null; signature: Buffer | null} | undefined;
		return row && {checksumFile: row.checksum_file, signature: row.signature};
	}

	/** Forget the signed material and the signer (a retry fetches and checks them again), and the digest they vouched for. */
	clearSigned(id: string, forgetDigest: boolean): void {
		this.db
			.transaction(() => {
				this.stmts.removeMaterial.run(id);
				this.update(id, {signedByFingerprint: null, signedByUserId: null, signedAt: null, ...(forgetDigest ? {expectedChecksum: null} : {})});
			})
			.immediate();
	}

	/**
	 * Record progress (at most once a second per download, by the caller). It is advisory — the .part's size is
	 * the truth and recovery restores the row from it — so this one write does not wait for the disk: without its
	 * WAL fsync (synchronous = NORMAL for this commit) it survives a kill -9 as before and may only fall back to an
	 * older value after a power loss. Measured: that fsync took 20–190 ms on the thread that also draws the TUI
	 * while 4 downloads filled the disk's queue (bench item 8).
	 */
	setDownloaded(id: string, bytes: number): void {
		this.db.pragma('synchronous = NORMAL');
		try {
			this.stmts.progress.run(bytes, nowIso(), id);
		} finally {
			this.db.pragma('synchronous = FULL');
		}
	}

	/** Delete the row, recording `removed` (events outlive their image: it is an audit log). */
	remove(id: string, detail?: string): boolean {
		return this.db
			.transaction(() => {
				const changes = this.stmts.remove.run(id).changes;
				this.stmts.removeMaterial.run(id);
				if (changes > 0) this.recordEvent(id, nowIso(), 'removed', detail ?? null);
				return changes > 0;
			})
			.immediate();
	}

	addEvent(id: string, kind: EventKind, detail?: string | null): void {
		this.recordEvent(id, nowIso(), kind, detail ?? null);
	}

	/** Newest first. */
	events(id: string, limit = 20): AuditEvent[] {
		return (this.stmts.events.all(id, limit) as Array<{id: number; image_id: string; ts: string; kind: EventKind; detail: string | null}>).map(r => ({
			id: r.id,
			imageId: r.image_id,
			ts: r.ts,
			kind: r.kind,
			detail: r.detail,
		}));
	}

	/** The complete image whose file is at `filePath` (relative to images/), if any: what the HTTP server may serve. */
	completeByPath(filePath: string): Image | undefined {
		const row = this.stmts.completeByPath.get(filePath) as Row | undefined;
		return row && scanImage(row);
	}

	/**
	 * Add what the HTTP server sent since the last call, in one transaction: bytes to `bytes_served`, whole-file
	 * downloads to `download_count` with one `download_events` row each (at the time it completed). Rows removed
	 * meanwhile are skipped.
	 */
	recordServed(batch: ReadonlyArray<{id: string; bytes: number; downloads: readonly string[]}>): void {
		if (batch.length === 0) return;
		this.db
			.transaction(() => {
				for (const entry of batch) {
					const changes = this.stmts.served.run(entry.bytes, entry.downloads.length, entry.id).changes;
					if (changes === 0) continue;
					for (const ts of entry.downloads) this.stmts.downloadEvent.run(entry.id, ts);
				}
			})
			.immediate();
	}

	/** The complete image checked longest ago (by `verified_at`, else `completed_at`): the scrub's next candidate. */
	leastRecentlyVerified(): Image | undefined {
		const row = this.stmts.leastRecentlyVerified.get() as Row | undefined;
		return row && scanImage(row);
	}

	/** How many images are complete (the scrub spreads one period over them). */
	completeCount(): number {
		return this.stmts.completeCount.get() as number;
	}

	/** Queue a command for the process that holds the library lock; returns its id (to read the reply by). */
	enqueueCommand(action: string, imageId: string | null, argument: string | null = null): number {
		const result = this.db
			.prepare('INSERT INTO commands (action, image_id, created_at, requested_by, argument) VALUES (?, ?, ?, ?, ?)')
			.run(action, imageId, nowIso(), process.pid, argument);
		return Number(result.lastInsertRowid);
	}

	/** A library-wide setting the owner keeps in the catalogue (so every process sees it), or undefined. */
	setting(key: string): string | undefined {
		return this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
	}

	setSetting(key: string, value: string): void {
		this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
	}

	/** Take every queued command, oldest first: each becomes `running` until `replyCommand`. */
	takeCommands(): Command[] {
		const rows = this.db
			.prepare("UPDATE commands SET state = 'running' WHERE state = 'queued' RETURNING id, action, image_id, argument, created_at, requested_by")
			.all() as Array<{id: number; action: string; image_id: string | null; argument: string | null; created_at: string; requested_by: number | null}>;
		return rows
			.map(r => ({id: r.id, action: r.action, imageId: r.image_id, argument: r.argument, createdAt: r.created_at, requestedBy: r.requested_by}))
			.sort((a, b) => a.id - b.id);
	}

	/** The owner's outcome of a command; the row stays until its sender has read it (`deleteCommand`). */
	replyCommand(id: number, state: Exclude<CommandState, 'queued' | 'running'>, reply: string | null): void {
		this.db.prepare('UPDATE commands SET state = ?, reply = ?, replied_at = ? WHERE id = ?').run(state, reply, nowIso(), id);
	}

	/** Where a command stands; undefined when the row is gone. */
	commandReply(id: number): CommandReply | undefined {
		return this.db.prepare('SELECT state, reply FROM commands WHERE id = ?').get(id) as CommandReply | undefined;
	}

	deleteCommand(id: number): void {
		this.db.prepare('DELETE FROM commands WHERE id = ?').run(id);
	}

	/** Withdraw a command the owner has not taken yet; false when it was taken meanwhile. */
	withdrawCommand(id: number): boolean {
		return this.db.prepare("DELETE FROM commands WHERE id = ? AND state = 'queued'").run(id).changes > 0;
	}

	/**
	 * For a new owner: commands a previous owner took and never answered (it stopped) are failed with `reply`, and
	 * answers nobody read for an hour are dropped.
	 */
	settleOrphanedCommands(reply: string): void {
		this.db.transaction(() => {
			this.db.prepare("UPDATE commands SET state = 'failed', reply = ?, replied_at = ? WHERE state = 'running'").run(reply, nowIso());
			this.db.prepare("DELETE FROM commands WHERE replied_at IS NOT NULL AND replied_at < ?").run(new Date(Date.now() - 3_600_000).toISOString());
		})();
	}

	/** Changes when another connection commits (cheap polling for other processes' writes). */
	dataVersion(): number {
		return this.stmts.dataVersion.get() as number;
	}

	integrityCheck(): string {
		return this.db.pragma('integrity_check', {simple: true}) as string;
	}

	close(): void {
		if (this.db.open) this.db.close();
	}
}
