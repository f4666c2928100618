/** Where an image's files live (no I/O, no network: safe for every front end to import). */
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import type {Config} from '../config.js';
import {resolveInside} from './naming.js';
import {sidecarFileName} from './checksum/sidecar.js';
import type {Image} from './types.js';

/** `<data>/images/.tmp/<id>.part`: the only place a partial download ever lives. */
export function partPathFor(config: Config, id: string): string {
	return path.join(config.tmpDir, `${id}.part`);
}

/** A cross-device copy in progress beside `finalPath` (`.<name>.<random>.copy-tmp`); recovery deletes leftovers. */
export function copyTempPathFor(finalPath: string): string {
	return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${randomBytes(8).toString('hex')}.copy-tmp`);
}

/** True for the name of a leftover cross-device copy (copyTempPathFor). */
export function isCopyTempName(fileName: string): boolean {
	return /^\..+\.[0-9a-f]{16}\.copy-tmp$/.test(fileName);
}

/** The image's final path, checked to resolve inside `<data>/images/`. */
export function finalPathFor(config: Config, image: Pick<Image, 'filePath'>): string {
	return resolveInside(config.imagesDir, image.filePath);
}

/**
 * The publisher's files kept beside a signed image, so `gpg --verify` works on them later: the checksum file
 * (`<image>.checksums`, verbatim, clear-signed or not) and the detached signature over it (`<image>.checksums.sig`),
 * or the detached signature over the image itself (`<image>.sig`). Names only; which exist depends on the row.
 */
export const KEPT_CHECKSUMS = '.checksums';
export const KEPT_CHECKSUMS_SIGNATURE = '.checksums.sig';
export const KEPT_IMAGE_SIGNATURE = '.sig';

export type KeptFile = {role: 'checksums' | 'checksums-signature' | 'image-signature'; name: string};

/** The kept files an image may own (every name it could have written, signed or not yet). */
export function keptFilesFor(image: Pick<Image, 'filename' | 'checksumUrl' | 'signatureUrl'>): KeptFile[] {
	const kept: KeptFile[] = [];
	if (image.checksumUrl) {
		kept.push({role: 'checksums', name: image.filename + KEPT_CHECKSUMS});
		if (image.signatureUrl) kept.push({role: 'checksums-signature', name: image.filename + KEPT_CHECKSUMS_SIGNATURE});
	} else if (image.signatureUrl) {
		kept.push({role: 'image-signature', name: image.filename + KEPT_IMAGE_SIGNATURE});
	}

	return kept;
}

/** Every file an image owns under images/: the image, its sidecar, and the kept publisher files. */
export function ownedFilesFor(config: Config, image: Pick<Image, 'filePath' | 'filename' | 'checksumType' | 'checksumUrl' | 'signatureUrl'>): string[] {
	const final = finalPathFor(config, image);
	const dir = path.dirname(final);
	const files = [final];
	if (image.checksumType) files.push(path.join(dir, sidecarFileName(image.filename, image.checksumType)));
	for (const kept of keptFilesFor(image)) files.push(path.join(dir, kept.name));
	return files;
}
