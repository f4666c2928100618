/** An Image row for pure tests of the tree, the orders and the file states (no catalogue). */
import type {Image} from '../../../source/core/index.js';

let n = 0;
export function image(name: string, version: string, patch: Partial<Image> = {}): Image {
	n++;
	return {
		id: `id${n}`,
		name,
		version,
		arch: 'x86_64',
		edition: null,
		fileType: 'iso',
		filename: `${name}-${version}-x86_64.iso`,
		filePath: `${name}/${version}/x86_64/${name}-${version}-x86_64.iso`,
		sizeBytes: null,
		downloadedBytes: 0,
		status: 'pending',
		checksum: null,
		checksumType: 'sha256',
		expectedChecksum: null,
		downloadUrl: 'http://127.0.0.1:9/x',
		checksumUrl: null,
		errorCode: null,
		errorMessage: null,
		etag: null,
		lastModified: null,
		attempts: 0,
		createdAt: '2024-01-01T00:00:00.000Z',
		updatedAt: '2024-01-01T00:00:00.000Z',
		completedAt: null,
		downloadCount: 0,
		bytesServed: 0,
		verifiedAt: null,
		maxRate: null,
		signatureUrl: null,
		signingKey: null,
		requireSignature: false,
		signedByFingerprint: null,
		signedByUserId: null,
		signedAt: null,
		...patch,
	};
}
