/**
 * File-system steps under `<data>` that never follow a symbolic link for a write, a delete or a rename.
 *
 * The data directory itself may be a link (that is the user's choice of where the library lives); nothing below
 * it may be: `images/`, `images/.tmp`, each directory of an image's path, the final file, a `.part`, the
 * catalogue and the log. Directories are checked one component at a time with lstat (and created one at a time,
 * never `recursive`, which would follow a link); files are opened with O_NOFOLLOW; a delete unlinks the name
 * itself (a link, never its target) and never recurses. A link found where isoman writes is refused with a
 * `SymlinkError` that names it and says what to do.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {IsomanError} from './types.js';

/** O_NOFOLLOW where the platform has it (Linux, macOS, the BSDs). */
export const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

export class SymlinkError extends IsomanError {
	constructor(readonly linkPath: string) {
		let target = '';
		try {
			target = ` (pointing to ${fs.readlinkSync(linkPath)})`;
		} catch {}

		super(
			'io',
			`${linkPath} is a symbolic link${target}: isoman never writes, deletes or renames through a link inside its library; replace it with a real directory or file (the data dir itself may be a link)`,
		);
		this.name = 'SymlinkError';
	}
}

/** Whether `file` is inside `root` (or is it). */
function inside(root: string, file: string): boolean {
	const relative = path.relative(root, file);
	return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The directories from `root` (exclusive) down to `dir` (inclusive). */
function components(root: string, dir: string): string[] {
	const resolvedRoot = path.resolve(root);
	const resolved = path.resolve(dir);
	if (!inside(resolvedRoot, resolved)) throw new TypeError(`${dir} is not inside ${root}`);
	const out: string[] = [];
	let current = resolvedRoot;
	for (const part of path.relative(resolvedRoot, resolved).split(path.sep).filter(Boolean)) {
		current = path.join(current, part);
		out.push(current);
	}

	return out;
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
	return fs.lstatSync(file, {throwIfNoEntry: false});
}

/** Throws SymlinkError when `file` is a link, IsomanError when it is there but not a directory. */
function checkDirectory(dir: string, stat: fs.Stats): void {
	if (stat.isSymbolicLink()) throw new SymlinkError(dir);
	if (!stat.isDirectory()) throw new IsomanError('io', `${dir} is in the way: a directory is needed there, not a file`);
}

/**
 * Every directory from `root` (exclusive) to `dir` (inclusive) exists as a real directory: missing ones are
 * created one at a time (`mode`), a link among them is refused. Synchronous: a few lstat calls.
 */
export function ensureRealDir(root: string, dir: string, mode = 0o755): void {
	for (const component of components(root, dir)) {
		let stat = lstatOrUndefined(component);
		if (!stat) {
			try {
				fs.mkdirSync(component, {mode});
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			}

			stat = fs.lstatSync(component);
		}

		checkDirectory(component, stat);
	}
}

/** Throws SymlinkError when a directory between `root` and `file` (or `file` itself, with `self`) is a link. Missing ones are fine. */
export function assertNoLink(root: string, file: string, {self = false} = {}): void {
	const dirs = components(root, path.dirname(file));
	for (const dir of dirs) {
		const stat = lstatOrUndefined(dir);
		if (!stat) return;
		checkDirectory(dir, stat);
	}

	if (self && lstatOrUndefined(file)?.isSymbolicLink()) throw new SymlinkError(file);
}

/** lstat of `file`, undefined when it does not exist. Never follows a link (a link is reported as one). */
export function lstatFile(file: string): fs.Stats | undefined {
	return lstatOrUndefined(file);
}

/**
 * Delete the name `file` (under `root`): a file or a link (the link itself, never what it points to). Never a
 * directory, never recursive; a missing file is fine; a link among the parent directories is refused.
 */
export async function removeFile(root: string, file: string): Promise<void> {
	assertNoLink(root, file);
	try {
		await fsp.unlink(file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return;
		if (code === 'EISDIR' || code === 'EPERM') {
			// EPERM is what unlink says for a directory on Linux.
			if (lstatOrUndefined(file)?.isDirectory()) throw new IsomanError('io', `${file} is a directory where isoman expected its own file; it is left alone`);
		}

		throw error;
	}
}

/** Open a file under `root` for writing without following a link at its name or in its directories. */
export async function openNoFollow(root: string, file: string, flags: number, mode = 0o644): Promise<fsp.FileHandle> {
	assertNoLink(root, file);
	try {
		return await fsp.open(file, flags | O_NOFOLLOW, mode);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new SymlinkError(file);
		throw error;
	}
}

/** Synchronous openNoFollow (the log, the catalogue). Returns a file descriptor. */
export function openNoFollowSync(root: string, file: string, flags: number, mode = 0o644): number {
	assertNoLink(root, file);
	try {
		return fs.openSync(file, flags | O_NOFOLLOW, mode);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new SymlinkError(file);
		throw error;
	}
}

/**
 * The file open on `fh` is still the one at `file` (same device and inode, not a link) and holds exactly
 * `bytes` bytes: nobody replaced, truncated or appended to it. Returns why not, or undefined when it is intact.
 */
export async function changedBehindOurBack(fh: fsp.FileHandle, file: string, bytes: number): Promise<string | undefined> {
	const open = await fh.stat();
	const named = lstatOrUndefined(file);
	if (!named) return `${file} was deleted or moved while it was being written`;
	if (named.isSymbolicLink()) return `${file} was replaced by a symbolic link while it was being written`;
	if (named.dev !== open.dev || named.ino !== open.ino) return `${file} was replaced by another file while it was being written`;
	if (open.size !== bytes) {
		return open.size < bytes
			? `${file} was truncated while it was being written: it holds ${open.size} bytes, ${bytes} were written`
			: `${file} was appended to while it was being written: it holds ${open.size} bytes, only ${bytes} were written`;
	}

	return undefined;
}
