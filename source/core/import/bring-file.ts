/**
 * Bringing one image file from ISOMan's tree into isoman's, by hard link or by copy. ISOMan's file is only ever
 * read (opened O_RDONLY | O_NOFOLLOW, checked to be the inode that was planned) or, with --move, unlinked after
 * isoman's copy is committed.
 *
 * A hard link shares the inode with ISOMan's file, so it never sits in images/.tmp as a .part: a .part is a file a
 * download may resume into (append, or truncate on a restart), which would write into ISOMan's file. The link goes
 * straight to the final path, after the file was hashed and its row carries the digest (the same window as a
 * download's rename before its commit: recovery re-hashes and completes, or keeps the file and fails the row).
 * Neither program writes a complete image in place (both rename finished downloads into place), so the content
 * hashed is the content linked; the inode, size and mtime are compared after the link to be sure.
 */
import fs from 'node:fs';
import fsp, {type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {createHasher} from '../checksum/index.js';
import {fsyncDirectory} from '../fsync.js';
import {openNoFollow} from '../safe-fs.js';
import {IsomanError, type ChecksumAlgorithm} from '../types.js';
import type {SourceFile} from './plan.js';

const CHUNK = 4 * 1024 * 1024;

export type ByteProgress = (done: number, total: number) => void;

/** Open ISOMan's file read-only without following a symlink, and check it is the file that was planned. */
export async function openSource(file: SourceFile): Promise<FileHandle> {
	const fh = await fsp.open(file.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
	try {
		const stat = await fh.stat();
		if (!stat.isFile() || stat.ino !== file.ino || stat.dev !== file.dev) throw new IsomanError('io', `${file.path} was replaced while the import ran; run it again`);
		if (stat.size !== file.size || stat.mtimeMs !== file.mtimeMs) throw new IsomanError('io', `${file.path} changed while the import ran (is ISOMan still running?); run it again`);
		return fh;
	} catch (error) {
		await fh.close();
		throw error;
	}
}

/** The digest of an open file, reading it once in 4 MiB chunks. */
export async function hashOpen(fh: FileHandle, size: number, algorithm: ChecksumAlgorithm, onProgress?: ByteProgress, signal?: AbortSignal): Promise<string> {
	const hash = createHasher(algorithm);
	const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
	let position = 0;
	while (position < size) {
		signal?.throwIfAborted();
		const {bytesRead} = await fh.read(buffer, 0, Math.min(buffer.length, size - position), position);
		if (bytesRead === 0) throw new IsomanError('io', `the file ended at byte ${position}; expected ${size}`);
		hash.update(buffer.subarray(0, bytesRead));
		position += bytesRead;
		onProgress?.(position, size);
	}

	return hash.digest('hex');
}

/** Whether a hard link from `source` can be made into `imagesDir` (same file system). */
export function sameFileSystem(source: SourceFile, imagesDir: string): boolean {
	for (let dir = imagesDir; ; dir = path.dirname(dir)) {
		const stat = fs.statSync(dir, {throwIfNoEntry: false});
		if (stat) return stat.dev === source.dev;
		if (path.dirname(dir) === dir) return false;
	}
}

/**
 * Hard-link ISOMan's file to `finalPath` (whose directory exists). Returns false when the system refuses a link
 * (another file system, or a file this user does not own under protected_hardlinks): then copy. Throws when a file
 * is already there, or when what got linked is not the planned inode (it is unlinked again).
 */
export async function linkInto(source: SourceFile, finalPath: string): Promise<boolean> {
	try {
		await fsp.link(source.path, finalPath);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return false;
		if (code === 'EEXIST') throw new IsomanError('io', `a file appeared at ${finalPath} while the import ran; it was left alone`);
		throw error;
	}

	const linked = await fsp.lstat(finalPath);
	if (!linked.isFile() || linked.ino !== source.ino || linked.dev !== source.dev || linked.size !== source.size || linked.mtimeMs !== source.mtimeMs) {
		await fsp.unlink(finalPath);
		throw new IsomanError('io', `${source.path} changed while it was being linked (is ISOMan still running?); run the import again`);
	}

	await fsyncDirectory(path.dirname(finalPath));
	return true;
}

/**
 * Copy the open source into `partPath` (created or truncated, never through a symlink under `root`), hashing the bytes as they
 * go, then fsync it. The copy is isoman's own file: a download may later resume into it without touching ISOMan's.
 */
export async function copyInto(
	root: string,
	src: FileHandle,
	source: SourceFile,
	partPath: string,
	algorithm: ChecksumAlgorithm,
	onProgress?: ByteProgress,
	signal?: AbortSignal,
): Promise<string> {
	const free = await fsp.statfs(path.dirname(partPath));
	const available = free.bavail * free.bsize;
	if (available < source.size) {
		throw new IsomanError('disk_full', `disk full: copying ${source.path} needs ${source.size} bytes, ${available} are free on ${path.dirname(partPath)}`);
	}

	const out = await openNoFollow(root, partPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
	try {
		const hash = createHasher(algorithm);
		const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(source.size, 1)));
		let position = 0;
		while (position < source.size) {
			signal?.throwIfAborted();
			const {bytesRead} = await src.read(buffer, 0, Math.min(buffer.length, source.size - position), position);
			if (bytesRead === 0) throw new IsomanError('io', `${source.path} ended at byte ${position}; expected ${source.size} (is ISOMan still running?)`);
			const chunk = buffer.subarray(0, bytesRead);
			hash.update(chunk);
			let written = 0;
			while (written < bytesRead) written += (await out.write(chunk, written, bytesRead - written, position + written)).bytesWritten;
			position += bytesRead;
			onProgress?.(position, source.size);
		}

		await out.sync();
		return hash.digest('hex');
	} finally {
		await out.close();
	}
}
