/** Where an image's files live (no I/O, no network: safe for every front end to import). */
import path from 'node:path';
import type {Config} from '../config.js';
import {resolveInside} from './naming.js';
import type {Image} from './types.js';

/** `<data>/images/.tmp/<id>.part`: the only place a partial download ever lives. */
export function partPathFor(config: Config, id: string): string {
	return path.join(config.tmpDir, `${id}.part`);
}

/** The image's final path, checked to resolve inside `<data>/images/`. */
export function finalPathFor(config: Config, image: Pick<Image, 'filePath'>): string {
	return resolveInside(config.imagesDir, image.filePath);
}
