/**
 * The API's image object: ISOMan v0.3.4's fields with ISOMan's JSON types first (its Go client decodes
 * `progress` into an int, `size_bytes` into an int64, `edition`/`checksum_url`/`error_message` into strings), then
 * isoman's own fields. The CLI's `--json` keeps its own shape (nulls where a value is unknown).
 */
import {redactUrl, redactUrlsIn, signedByJson, type Image} from '../../core/index.js';

/** 0–100, whole numbers only; 0 while the size is unknown. */
export function integerProgress(image: Pick<Image, 'status' | 'sizeBytes' | 'downloadedBytes'>): number {
	if (image.status === 'complete') return 100;
	if (!image.sizeBytes || image.sizeBytes <= 0) return 0;
	return Math.max(0, Math.min(100, Math.floor((image.downloadedBytes * 100) / image.sizeBytes)));
}

export function isoJson(image: Image) {
	const verified = image.status === 'complete' || image.status === 'missing';
	return {
		id: image.id,
		name: image.name,
		version: image.version,
		arch: image.arch,
		edition: image.edition ?? '',
		file_type: image.fileType,
		filename: image.filename,
		file_path: image.filePath,
		download_link: `/images/${image.filePath}`,
		size_bytes: image.sizeBytes ?? 0,
		checksum: verified ? (image.checksum ?? '') : '',
		checksum_type: image.checksumType ?? '',
		download_url: redactUrl(image.downloadUrl),
		checksum_url: image.checksumUrl ? redactUrl(image.checksumUrl) : '',
		status: image.status,
		progress: integerProgress(image),
		error_message: image.errorMessage ? redactUrlsIn(image.errorMessage) : '',
		created_at: image.createdAt,
		completed_at: image.completedAt,
		download_count: image.downloadCount,
		// isoman's own
		downloaded_bytes: image.downloadedBytes,
		expected_checksum: image.expectedChecksum,
		error_code: image.errorCode,
		bytes_served: image.bytesServed,
		verified_at: image.verifiedAt,
		signed_by: signedByJson(image),
	};
}

export type IsoJson = ReturnType<typeof isoJson>;
