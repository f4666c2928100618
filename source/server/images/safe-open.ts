/**
 * Opening a file the catalogue says may be served, without ever following a symlink or leaving images/: every
 * directory between images/ and the file is lstat'ed (a real directory, not a link), the file is opened with
 * O_NOFOLLOW (and O_NONBLOCK, so a FIFO put there cannot hang a request), must be a regular file, must be the
 * same inode as the path names, and the kernel's own name for the open descriptor must lie inside images/.
 */
import fs from 'node:fs';
import fsp, {type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {openNoFollow, SymlinkError} from '../../core/index.js';

export type OpenedFile = {handle: FileHandle; stat: fs.Stats};

/** Why a file was not opened: it is not there (or not a plain file), or it is not safe to open. */
export class NotServableError extends Error {
	constructor(
		readonly reason: 'missing' | 'unsafe',
		message: string,
	) {
		super(message);
		this.name = 'NotServableError';
	}
}

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** Directories already checked to be real (the images dir itself, resolved once; it may be a link the user made). */
const realRoots = new Map<string, string>();

async function realRoot(imagesDir: string): Promise<string> {
	let real = realRoots.get(imagesDir);
	if (!real) {
		real = await fsp.realpath(imagesDir);
		realRoots.set(imagesDir, real);
	}

	return real;
}

/**
 * Open `segments` (already decoded names, no `.`/`..`/empty) below `imagesDir` for reading.
 * Throws NotServableError when the file is absent, not a regular file, or reached through a symlink.
 */
export async function openInside(imagesDir: string, segments: readonly string[]): Promise<OpenedFile> {
	if (segments.length === 0 || segments.some(s => s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0'))) {
		throw new NotServableError('unsafe', 'not a plain relative path');
	}

	const root = await realRoot(imagesDir);
	const file = path.join(root, ...segments);
	let handle: FileHandle;
	try {
		// Every directory below images/ lstat'ed, the file opened with O_NOFOLLOW (core's link-safe open).
		handle = await openNoFollow(root, file, OPEN_FLAGS);
	} catch (error) {
		if (error instanceof SymlinkError) throw new NotServableError('unsafe', `${error.linkPath} is a symlink`);
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || (error as {code?: string}).code === 'io') throw new NotServableError('missing', `${file} is not there`);
		throw error;
	}

	try {
		const stat = await handle.stat();
		if (!stat.isFile()) throw new NotServableError('missing', `${file} is not a regular file`);
		const named = await lstatOrMissing(file);
		if (named.ino !== stat.ino || named.dev !== stat.dev) throw new NotServableError('unsafe', `${file} changed while it was opened`);
		// The kernel's name for what we opened: a directory swapped for a link after the checks above shows here.
		const actual = await fsp.readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
		if (actual !== undefined && actual !== file) throw new NotServableError('unsafe', `${file} resolves to ${actual}`);
		return {handle, stat};
	} catch (error) {
		await handle.close();
		throw error;
	}
}

async function lstatOrMissing(file: string): Promise<fs.Stats> {
	try {
		return await fsp.lstat(file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotServableError('missing', `${file} is not there`);
		throw error;
	}
}

/** lstat of an entry below images/ (for the index pages): undefined when absent or reached through a symlink. */
export async function lstatInside(imagesDir: string, segments: readonly string[]): Promise<fs.Stats | undefined> {
	try {
		let current = await realRoot(imagesDir);
		let stat = await fsp.lstat(current);
		for (const segment of segments) {
			if (!stat.isDirectory()) return undefined;
			current = path.join(current, segment);
			stat = await fsp.lstat(current);
			if (stat.isSymbolicLink()) return undefined;
		}

		return stat;
	} catch {
		return undefined;
	}
}
