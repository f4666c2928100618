/**
 * The server's one door into core: which files may be served (decided from the catalogue: complete rows and
 * their sidecars), the complete images for the index pages, and the download counts written back. Everything the
 * server needs from the library goes through here, so moving to another core surface touches this file only.
 */
import {CHECKSUM_ALGORITHMS, sidecarExtension, type ChecksumAlgorithm, type Image, type Library, type ServedBatch} from '../core/index.js';

/** The library object the daemon owns (what the pluggable handler gets as `context.library` too). */
export type ServedLibrary = Library;

export type Servable =
	| {kind: 'image'; image: Image}
	/** The coreutils `--check` file next to the image (`x.iso.sha256`; also at `x.iso.<checksum_type>`). */
	| {kind: 'sidecar'; image: Image; fileName: string};

/** The sidecar names under which an image's checksum file is served: `.sha256`…, `.b2`, and `.<checksum_type>`. */
export function sidecarNames(image: Pick<Image, 'filename' | 'checksumType'>): string[] {
	if (!image.checksumType) return [];
	const names = [`${image.filename}.${sidecarExtension(image.checksumType)}`, `${image.filename}.${image.checksumType}`];
	return [...new Set(names)];
}

/** Suffixes a sidecar request may end with (every algorithm's extension and name). */
const SIDECAR_SUFFIXES = [...new Set(CHECKSUM_ALGORITHMS.flatMap(alg => [sidecarExtension(alg), alg]))];

/**
 * What the catalogue says is at `filePath` (decoded, relative to images/): a complete image, the sidecar of one,
 * or nothing. Never decided from the disk.
 */
export function findServable(library: ServedLibrary, filePath: string): Servable | undefined {
	const image = library.completeByPath(filePath);
	if (image) return {kind: 'image', image};
	const dot = filePath.lastIndexOf('.');
	if (dot <= 0 || !SIDECAR_SUFFIXES.includes(filePath.slice(dot + 1))) return undefined;
	const owner = library.completeByPath(filePath.slice(0, dot));
	if (!owner?.checksumType) return undefined;
	const fileName = filePath.slice(filePath.lastIndexOf('/') + 1);
	return sidecarNames(owner).includes(fileName) ? {kind: 'sidecar', image: owner, fileName} : undefined;
}

/** The on-disk name of an image's sidecar (the one written next to it). */
export function sidecarOnDisk(image: Image & {checksumType: ChecksumAlgorithm}): string {
	return `${image.filename}.${sidecarExtension(image.checksumType)}`;
}

/** Every complete image (for the index pages). */
export function completeImages(library: ServedLibrary): Image[] {
	return library.withStatus('complete');
}

/** Write a batch of download counts (see Accounting). */
export function recordServed(library: ServedLibrary, batch: ServedBatch): void {
	library.recordServed(batch);
}
