/**
 * One downloader per library: `<data>/isoman.lock` holds the owner's pid. Created whole and exclusively (a hard
 * link of a private file); a lock whose pid is gone (a crash, kill -9) is stale and taken over, by one process
 * only when several try at once. Released on exit.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type LockInfo = {pid: number; host: string; startedAt: string; role: string};

export type LibraryLock = {
	readonly path: string;
	readonly info: LockInfo;
	release(): void;
};

export class LockHeldError extends Error {
	constructor(
		readonly holder: LockInfo,
		lockPath: string,
	) {
		super(`the library is in use by isoman ${holder.role} pid ${holder.pid} (since ${holder.startedAt}; lock ${lockPath})`);
		this.name = 'LockHeldError';
	}
}

export function lockPathFor(dataDir: string): string {
	return path.join(dataDir, 'isoman.lock');
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** The current holder, if a live process holds the lock. */
export function readLock(dataDir: string): LockInfo | undefined {
	try {
		const info = JSON.parse(fs.readFileSync(lockPathFor(dataDir), 'utf8')) as LockInfo;
		if (typeof info.pid !== 'number') return undefined;
		if (info.host === os.hostname() && !alive(info.pid)) return undefined;
		return info;
	} catch {
		return undefined;
	}
}

/**
 * Create `file` with `content` in one step, failing with EEXIST if it exists: written to a private file first,
 * then hard-linked into place, so that nobody ever reads a lock half written (and takes it for a broken one).
 * Where hard links are not supported, falls back to O_EXCL and a write.
 */
function createWhole(file: string, content: string): void {
	const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
	const fd = fs.openSync(temporary, 'wx', 0o644);
	try {
		fs.writeSync(fd, content);
		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}

	try {
		fs.linkSync(temporary, file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
		const lock = fs.openSync(file, 'wx', 0o644);
		try {
			fs.writeSync(lock, content);
			fs.fsyncSync(lock);
		} finally {
			fs.closeSync(lock);
		}
	} finally {
		fs.rmSync(temporary, {force: true});
	}
}

function readRaw(file: string): string | undefined {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Block this thread for `ms` (the lock is taken synchronously; contention lasts microseconds). */
function sleepSync(ms: number): void {
	Atomics.wait(pause, 0, 0, ms);
}

/**
 * Remove the stale lock whose content was `raw`, unless it changed meanwhile. Only one process at a time may do
 * this (it holds `<lock>.takeover` while it looks and removes): otherwise one could remove the lock another has
 * just taken after removing the same stale one. A lock can only be created where none is, and only its live
 * owner or the takeover holder removes one, so under the takeover the file cannot change between look and unlink.
 * Returns false when another process is taking over (try again shortly).
 */
function removeStale(file: string, raw: string): boolean {
	const takeover = `${file}.takeover`;
	try {
		createWhole(takeover, JSON.stringify({pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString()}) + '\n');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		// Left by a process that died in the middle of a takeover (a few microseconds' window): clear it.
		try {
			const holder = JSON.parse(fs.readFileSync(takeover, 'utf8')) as LockInfo;
			const old = Date.now() - fs.statSync(takeover).mtimeMs > 10_000;
			if (old || (holder.host === os.hostname() && !alive(holder.pid))) fs.rmSync(takeover, {force: true});
		} catch {}

		return false;
	}

	try {
		if (readRaw(file) === raw) fs.rmSync(file, {force: true});
	} finally {
		fs.rmSync(takeover, {force: true});
	}

	return true;
}

/** Private files of lock attempts cut short by a crash (their pid is gone). */
function sweepTemporaries(dataDir: string): void {
	try {
		for (const name of fs.readdirSync(dataDir)) {
			const match = /^isoman\.lock\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
			if (match && !alive(Number(match[1]))) fs.rmSync(path.join(dataDir, name), {force: true});
		}
	} catch {}
}

/** Take the lock or throw LockHeldError naming the holder. */
export function acquireLock(dataDir: string, role: string): LibraryLock {
	fs.mkdirSync(dataDir, {recursive: true});
	const file = lockPathFor(dataDir);
	const info: LockInfo = {pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), role};
	for (let attempt = 0; attempt < 500; attempt++) {
		try {
			createWhole(file, JSON.stringify(info) + '\n');
			sweepTemporaries(dataDir);
			let released = false;
			return {
				path: file,
				info,
				release() {
					if (released) return;
					released = true;
					// Only remove our own lock.
					try {
						const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
						if (current.pid === info.pid && current.startedAt === info.startedAt) fs.unlinkSync(file);
					} catch {}
				},
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}

		const raw = readRaw(file);
		if (raw === undefined) continue; // released meanwhile: try again
		const holder = readLock(dataDir);
		if (holder) throw new LockHeldError(holder, file);
		// Stale (its pid is gone) or unreadable: remove it if it is still the same file, then try again.
		if (!removeStale(file, raw)) sleepSync(2);
	}

	throw new Error(`could not take the library lock ${file}`);
}
