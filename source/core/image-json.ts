/**
 * The image object of the `--json` contract (snake_case), as `list --json`, `show --json`, `add --json` and the
 * HTTP API print it. The one place that maps an Image to JSON; the catalogue's SQL module knows nothing of it.
 */
import {redactUrl, redactUrlsIn} from './display-text.js';
import {toErrorCode, type Image, type SignedBy} from './types.js';

/** Percentage done, floored to one decimal (0–100), or null when the total is unknown. */
export function percentOf(done: number, total: number | null | undefined): number | null {
	if (!total || total <= 0) return null;
	return Math.min(100, Math.floor((done / total) * 1000) / 10);
}

/** 0–100, or null when the size is unknown; a complete image is 100. */
export function progressOf(image: Pick<Image, 'status' | 'sizeBytes' | 'downloadedBytes'>): number | null {
	if (image.status === 'complete') return 100;
	return percentOf(image.downloadedBytes, image.sizeBytes);
}

/** Who signed the image's checksum file (or the image), or null when it is unsigned. */
export function signedByOf(image: Pick<Image, 'signedByFingerprint' | 'signedByUserId' | 'signedAt'>): SignedBy | null {
	if (!image.signedByFingerprint) return null;
	return {fingerprint: image.signedByFingerprint, userId: image.signedByUserId ?? '', signedAt: image.signedAt ?? ''};
}

/** A password in a URL is shown as `***` (the catalogue keeps it, to send it). */
export function imageToJson(image: Image) {
	return {
		id: image.id,
		name: image.name,
		version: image.version,
		arch: image.arch,
		edition: image.edition,
		file_type: image.fileType,
		filename: image.filename,
		file_path: image.filePath,
		size_bytes: image.sizeBytes,
		downloaded_bytes: image.downloadedBytes,
		status: image.status,
		progress: progressOf(image),
		checksum: image.checksum,
		checksum_type: image.checksumType,
		expected_checksum: image.expectedChecksum,
		download_url: redactUrl(image.downloadUrl),
		checksum_url: image.checksumUrl === null ? null : redactUrl(image.checksumUrl),
		// Closed: only a code of ERROR_CODES reaches the JSON, whatever the row holds.
		error_code: image.errorCode === null ? null : toErrorCode(image.errorCode),
		error_message: image.errorMessage === null ? null : redactUrlsIn(image.errorMessage),
		created_at: image.createdAt,
		completed_at: image.completedAt,
		download_count: image.downloadCount,
		bytes_served: image.bytesServed,
		verified_at: image.verifiedAt,
		max_rate: image.maxRate,
		signature_url: image.signatureUrl === null ? null : redactUrl(image.signatureUrl),
		signature_key: image.signingKey,
		require_signature: image.requireSignature,
		signed_by: signedByJson(image),
	};
}

/** `signed_by` of both JSON shapes: {fingerprint, user_id, signed_at}, or null when unsigned. */
export function signedByJson(image: Pick<Image, 'signedByFingerprint' | 'signedByUserId' | 'signedAt'>): {fingerprint: string; user_id: string; signed_at: string} | null {
	const signed = signedByOf(image);
	return signed && {fingerprint: signed.fingerprint, user_id: signed.userId, signed_at: signed.signedAt};
}

export type ImageJson = ReturnType<typeof imageToJson>;
