/**
 * Checking a file against its row, written once: the digest it must have (the expected one, else the one
 * recorded at download), the hash in the row's algorithm, the comparison, the messages that say what was found,
 * and where its sidecar lives. The manager's verify, a job adopting a file already in place and recovery all use
 * this; they are the data-safety paths and must not drift apart.
 */
import path from 'node:path';
import type {Config} from '../config.js';
import {hashFile, sidecarFileName, writeSidecar, type HashFileOptions} from './checksum/index.js';
import {finalPathFor} from './paths.js';
import type {ChecksumAlgorithm, Image} from './types.js';

type Row = Pick<Image, 'expectedChecksum' | 'checksum' | 'checksumType'>;

export type FileCheck = {
	algorithm: ChecksumAlgorithm;
	hex: string;
	bytes: number;
	/** What the file must hash to; null when the row has no digest at all. */
	reference: string | null;
	/** There is a reference and the file hashes to it. */
	matches: boolean;
	/** There is a reference and the file does not hash to it. */
	differs: boolean;
};

/** The algorithm a row's file is hashed with, and the digest it must have (expected, else recorded). */
export function referenceOf(image: Row): {algorithm: ChecksumAlgorithm; reference: string | null} {
	return {algorithm: image.checksumType ?? 'sha256', reference: image.expectedChecksum ?? image.checksum};
}

/** Hash `file` with the row's algorithm (streamed; progress, rate and abort through `options`) and compare. */
export async function checkFile(file: string, image: Row, options?: HashFileOptions): Promise<FileCheck> {
	const {algorithm, reference} = referenceOf(image);
	const {hex, bytes} = await hashFile(file, algorithm, options);
	return {algorithm, hex, bytes, reference, matches: reference !== null && hex === reference, differs: reference !== null && hex !== reference};
}

/**
 * Why a file found at an image's final path is not taken as its download (it is kept, never deleted): it hashes
 * to something else, or (no check) the row has no digest to check it against.
 */
export function foreignFileMessage(finalPath: string, check?: FileCheck): string {
	return check?.reference
		? `a different file already exists at ${finalPath} (${check.algorithm} ${check.hex}, expected ${check.reference}): move it away, then retry`
		: `a file already exists at ${finalPath} and there is no checksum to verify it against: move it away, then retry`;
}

/** A file that matched its row, taken as its download: its sidecar is written, and this is the row's patch. */
export async function adoptChecked(finalPath: string, check: FileCheck) {
	await writeSidecar(path.dirname(finalPath), path.basename(finalPath), check.algorithm, check.hex);
	return {checksum: check.hex, checksumType: check.algorithm, sizeBytes: check.bytes, downloadedBytes: check.bytes, completedAt: new Date().toISOString()};
}

/** The error message of a complete image whose file no longer hashes to its digest (`found`: what else was seen). */
export function corruptMessage(check: FileCheck, found?: string): string {
	return `corrupt: ${found ? `${found} and ` : ''}${check.algorithm} is ${check.hex}, expected ${check.reference}; the file is kept for you to decide (retry downloads it again)`;
}

/** The sidecar written next to a complete image (`<file>.sha256`…), when the row has an algorithm. */
export function sidecarPathOf(config: Config, image: Pick<Image, 'filePath' | 'filename' | 'checksumType'>): string | undefined {
	if (!image.checksumType) return undefined;
	return path.join(path.dirname(finalPathFor(config, image)), sidecarFileName(image.filename, image.checksumType));
}
