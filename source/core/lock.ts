/**
 * One downloader per library: `<data>/isoman.lock` holds the owner's pid. Created with O_EXCL; a lock whose
 * pid is gone (a crash, kill -9) is stale and taken over. Released on exit.
 */
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

/** Take the lock or throw LockHeldError naming the holder. */
export function acquireLock(dataDir: string, role: string): LibraryLock {
	fs.mkdirSync(dataDir, {recursive: true});
	const file = lockPathFor(dataDir);
	const info: LockInfo = {pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), role};
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			const fd = fs.openSync(file, 'wx', 0o644);
			fs.writeSync(fd, JSON.stringify(info) + '\n');
			fs.fsyncSync(fd);
			fs.closeSync(fd);
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
						if (current.pid === info.pid) fs.unlinkSync(file);
					} catch {}
				},
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}

		const raw = (() => {
			try {
				return fs.readFileSync(file, 'utf8');
			} catch {
				return '';
			}
		})();
		const holder = readLock(dataDir);
		if (holder) throw new LockHeldError(holder, file);
		// Stale (its pid is gone) or unreadable: remove it if it is still the same file, then try again.
		try {
			if (fs.readFileSync(file, 'utf8') === raw) fs.unlinkSync(file);
		} catch {}
	}

	throw new Error(`could not take the library lock ${file}`);
}
