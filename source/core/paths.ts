/** Where an image's files live (no I/O, no network: safe for every front end to import). */
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import type {Config} from '../config.js';
import {resolveInside} from './naming.js';
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
