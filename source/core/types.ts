/**
 * Shared vocabulary of the core. Nothing here imports Ink, React, SQLite or undici.
 * The states and the image JSON follow docs/architecture.md and the README.
 */

export const STATUSES = ['pending', 'downloading', 'verifying', 'complete', 'paused', 'failed', 'missing'] as const;
export type Status = (typeof STATUSES)[number];

export const CHECKSUM_ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'blake2b512'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Error codes stored in `images.error_code` when a row is `failed`. */
export const ERROR_CODES = [
	'cancelled',
	'http_status',
	'network',
	'content',
	'checksum_mismatch',
	'checksum_source',
	'disk_full',
	'corrupt',
	'io',
	'too_many_redirects',
	'size_mismatch',
	'signature_invalid',
	'signature_unknown_key',
	'signature_source',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(code: unknown): code is ErrorCode {
	return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/** A stored or thrown code as one of ERROR_CODES: anything else (an older or foreign row, a bug) reads as `io`. */
export function toErrorCode(code: string): ErrorCode {
	return isErrorCode(code) ? code : 'io';
}

/** One catalogue row as the core sees it (camelCase). `imageToJson` (image-json.ts) maps it to snake_case. */
export type Image = {
	id: string;
	name: string;
	version: string;
	arch: string;
	edition: string | null;
	fileType: string;
	filename: string;
	/** Relative to `<data>/images/`. */
	filePath: string;
	sizeBytes: number | null;
	downloadedBytes: number;
	status: Status;
	/** Computed digest (hex, lower case) in `checksumType`'s algorithm. */
	checksum: string | null;
	checksumType: ChecksumAlgorithm | null;
	/** The digest the file is checked against; null when unverified. */
	expectedChecksum: string | null;
	downloadUrl: string;
	checksumUrl: string | null;
	errorCode: ErrorCode | null;
	errorMessage: string | null;
	etag: string | null;
	lastModified: string | null;
	attempts: number;
	createdAt: string;
	updatedAt: string;
	completedAt: string | null;
	/** Whole-file responses the HTTP server completed for this image. */
	downloadCount: number;
	/** Image bytes the HTTP server sent, whole or in ranges. */
	bytesServed: number;
	/** When the file last hashed to its verified digest (download, verify, scrub); null when never. */
	verifiedAt: string | null;
	/** This image's download limit in bytes per second; null = none (the global limit still applies). */
	maxRate: number | null;
	/** A detached OpenPGP signature over the checksum file (or over the image when there is none); null when none. */
	signatureUrl: string | null;
	/** The fingerprint of the only keyring key (or its subkeys) accepted for this image; null: any keyring key. */
	signingKey: string | null;
	/** An unsigned image fails (`--require-signature` when it was added). */
	requireSignature: boolean;
	/** Who signed what the image was verified against (primary key fingerprint, its user ID, when); null: unsigned. */
	signedByFingerprint: string | null;
	signedByUserId: string | null;
	signedAt: string | null;
};

/** `signed_by` in the JSON shapes. */
export type SignedBy = {fingerprint: string; userId: string; signedAt: string};

export const EVENT_KINDS = [
	'added',
	'started',
	'paused',
	'resumed',
	'completed',
	'failed',
	'removed',
	'verified',
	'retried',
	'cancelled',
	'missing',
	'requeued',
	'edited',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type AuditEvent = {
	id: number;
	imageId: string;
	ts: string;
	kind: EventKind;
	detail: string | null;
};

/** Structured logger passed into every core object (never imported globally). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = {
	debug(event: string, fields?: Record<string, unknown>): void;
	info(event: string, fields?: Record<string, unknown>): void;
	warn(event: string, fields?: Record<string, unknown>): void;
	error(event: string, fields?: Record<string, unknown>): void;
	child(fields: Record<string, unknown>): Logger;
};

/** An error a user can act on: carries a code, the field it is about (if any) and a clear message. */
export class IsomanError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly field?: string,
	) {
		super(message);
		this.name = 'IsomanError';
	}
}
