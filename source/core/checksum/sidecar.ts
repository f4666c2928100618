/**
 * The sidecar next to a verified image: `<image>.<ext>` in coreutils `--check` format, naming the
 * local file, so `sha256sum -c x.iso.sha256` (or sha512sum, md5sum, b2sum …) works from the image's directory.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type {ChecksumAlgorithm} from '../types.js';
import {hexLength, sidecarExtension} from './algorithms.js';

/** `x.iso` + sha256 → `x.iso.sha256`; blake2b512 → `x.iso.b2`. */
export function sidecarFileName(imageFileName: string, alg: ChecksumAlgorithm): string {
	return `${imageFileName}.${sidecarExtension(alg)}`;
}

/**
 * One coreutils `--check` line: `<hex>  <name>\n`. A name with `\`, LF or CR is written in coreutils' escaped
 * form (a leading `\`, and `\\`, `\n`, `\r` in the name), as `sha256sum` itself prints it.
 */
export function sidecarLine(hex: string, fileName: string): string {
	const digest = hex.toLowerCase();
	if (!/^[0-9a-f]+$/.test(digest)) {
		throw new TypeError(`sidecarLine: ${JSON.stringify(hex)} is not a hex digest`);
	}

	if (/[\\\n\r]/.test(fileName)) {
		const escaped = fileName.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
		return `\\${digest}  ${escaped}\n`;
	}

	return `${digest}  ${fileName}\n`;
}

const TEMP_NAME = /^\.(.+)\.[0-9a-f]{16}\.sidecar-tmp$/;

/** True for the temporary files writeSidecar leaves behind if killed mid-write (for recovery's sweep). */
export function isSidecarTempName(fileName: string): boolean {
	return TEMP_NAME.test(fileName);
}

/**
 * Writes `<dir>/<imageFileName>.<ext>` atomically (see writeFileAtomic). Returns the sidecar's path.
 */
export async function writeSidecar(dir: string, imageFileName: string, alg: ChecksumAlgorithm, hex: string): Promise<string> {
	if (imageFileName === '' || imageFileName.includes('/') || imageFileName === '.' || imageFileName === '..') {
		throw new TypeError(`writeSidecar: ${JSON.stringify(imageFileName)} is not a file name`);
	}

	if (hex.length !== hexLength(alg)) {
		throw new TypeError(`writeSidecar: a ${alg} digest has ${hexLength(alg)} hex characters, got ${hex.length}`);
	}

	return writeFileAtomic(dir, sidecarFileName(imageFileName, alg), sidecarLine(hex, imageFileName));
}

/**
 * Writes `<dir>/<name>` atomically: a temporary file in `dir` (`.<name>.<random>.sidecar-tmp`, created exclusively,
 * so never through a symlink), fsync, rename over the target (which replaces a symlink there, never follows it),
 * fsync the directory. Recovery deletes such temporary files left by a kill. Returns the file's path.
 */
export async function writeFileAtomic(dir: string, name: string, data: string | Uint8Array, mode = 0o644): Promise<string> {
	if (name === '' || name.includes('/') || name === '.' || name === '..') {
		throw new TypeError(`writeFileAtomic: ${JSON.stringify(name)} is not a file name`);
	}

	const target = path.join(dir, name);
	const temp = path.join(dir, `.${name}.${randomBytes(8).toString('hex')}.sidecar-tmp`);
	let renamed = false;
	try {
		const fh = await fs.open(temp, 'wx', mode);
		try {
			await fh.writeFile(data);
			await fh.sync();
		} finally {
			await fh.close();
		}

		await fs.rename(temp, target);
		renamed = true;
		const dh = await fs.open(dir, 'r');
		try {
			await dh.sync();
		} finally {
			await dh.close();
		}
	} finally {
		if (!renamed) {
			await fs.rm(temp, {force: true});
		}
	}

	return target;
}
