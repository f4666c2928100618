/**
 * One downloader per library: `<data>/isoman.lock` holds the owner's pid, host, the kernel's boot id and the
 * process's start time (/proc/<pid>/stat). Created whole and exclusively (a hard link of a private file).
 *
 * A lock is stale, and taken over (by one process only when several try at once), when its holder is provably
 * gone: its pid is dead; or the pid now belongs to another process (a different start time: a pid reused, also
 * this very process's pid — a container's PID 1 after a SIGKILL or OOM); or it has exited and waits to be reaped (a
 * zombie); or the machine rebooted since (another boot id). A lock taken on another host cannot be checked from
 * here: it is refused with a message naming it and `isoman unlock --force`, which breaks it on purpose. Released
 * on exit.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type LockInfo = {
	pid: number;
	host: string;
	startedAt: string;
	role: string;
	/** Field 22 of /proc/<pid>/stat (clock ticks after boot) when the lock was taken; absent where there is no /proc. */
	procStart?: string;
	/** /proc/sys/kernel/random/boot_id when the lock was taken. */
	bootId?: string;
};

/** What a lock file says about its holder, seen from here. */
export type HolderState = 'live' | 'stale' | 'foreign';

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
		super(
			holder.host === os.hostname()
				? `the library is in use by isoman ${holder.role} pid ${holder.pid} (since ${holder.startedAt}; lock ${lockPath})`
				: `the library is locked by isoman ${holder.role} pid ${holder.pid} on host ${holder.host} (since ${holder.startedAt}; lock ${lockPath}); isoman cannot tell from here whether it still runs: if no isoman uses this library on ${holder.host}, run \`isoman unlock --force\``,
		);
		this.name = 'LockHeldError';
	}
}

function lockPathFor(dataDir: string): string {
	return path.join(dataDir, 'isoman.lock');
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Fields 3 on of /proc/<pid>/stat (state first), or undefined where that cannot be read. */
function statFields(pid: number): string[] | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) is in parentheses and may hold anything: count from the last `)`.
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	} catch {
		return undefined;
	}
}

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined where that cannot be read. */
export function processStart(pid: number): string | undefined {
	return statFields(pid)?.[19];
}

/**
 * Whether the pid is a process that has exited and not been reaped yet (state Z or X): kill(pid, 0) still
 * succeeds, but it holds nothing any more. A kill -9'd daemon whose parent is init stays one until init reaps it,
 * which some container inits do only every second or two.
 */
function exited(pid: number): boolean {
	const state = statFields(pid)?.[0];
	return state === 'Z' || state === 'X';
}

let cachedBootId: string | null | undefined;
function bootId(): string | undefined {
	if (cachedBootId === undefined) {
		try {
			cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
		} catch {
			cachedBootId = null;
		}
	}

	return cachedBootId ?? undefined;
}

/** When this process started (ms since the epoch, to a few ms). */
const thisProcessStartedAt = Date.now() - process.uptime() * 1000;

/** Whether the holder a lock names is alive (`live`), provably gone (`stale`), or on another host (`foreign`). */
export function holderState(info: LockInfo): HolderState {
	if (info.host !== os.hostname()) return 'foreign';
	const boot = bootId();
	if (info.bootId && boot && info.bootId !== boot) return 'stale';
	if (info.pid === process.pid) {
		// Our own pid: held by this very process (another thread or library handle), or left by an earlier process
		// that had the same pid (a container's PID 1 after SIGKILL/OOM).
		const mine = processStart(process.pid);
		if (info.procStart && mine) return info.procStart === mine ? 'live' : 'stale';
		const taken = Date.parse(info.startedAt);
		return Number.isFinite(taken) && taken < thisProcessStartedAt - 1000 ? 'stale' : 'live';
	}

	if (!alive(info.pid) || exited(info.pid)) return 'stale';
	if (info.procStart) {
		const now = processStart(info.pid);
		if (now !== undefined && now !== info.procStart) return 'stale'; // the pid was reused
	}

	return 'live';
}

function parseLock(raw: string): LockInfo | undefined {
	try {
		const info = JSON.parse(raw) as LockInfo;
		return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
	} catch {
		return undefined;
	}
}

/** What the lock file says, whatever the state of its holder (undefined when there is none, or it is unreadable). */
export function lockFileInfo(dataDir: string): LockInfo | undefined {
	const raw = readRaw(lockPathFor(dataDir));
	return raw === undefined ? undefined : parseLock(raw);
}

/** The current holder, if a live process (or one on another host, which cannot be checked) holds the lock. */
export function readLock(dataDir: string): LockInfo | undefined {
	const info = lockFileInfo(dataDir);
	return info && holderState(info) !== 'stale' ? info : undefined;
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
			if (old || (holder.host === os.hostname() && holder.pid !== process.pid && !alive(holder.pid))) fs.rmSync(takeover, {force: true});
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
	const procStart = processStart(process.pid);
	const boot = bootId();
	const info: LockInfo = {pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), role, ...(procStart ? {procStart} : {}), ...(boot ? {bootId: boot} : {})};
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
		const holder = parseLock(raw);
		if (holder && holderState(holder) !== 'stale') throw new LockHeldError(holder, file);
		// Stale (its holder is provably gone) or unreadable: remove it if it is still the same file, then try again.
		if (!removeStale(file, raw)) sleepSync(2);
	}

	throw new Error(`could not take the library lock ${file}`);
}

export type UnlockResult = {removed: boolean; state: HolderState | 'none' | 'unreadable'; holder?: LockInfo; message: string};

/**
 * `isoman unlock`: remove a lock nobody alive holds. A stale or unreadable lock is removed (a start would do the
 * same); a lock taken on another host only with `force` (this host cannot check that process); a lock held by a
 * live process here never (stop that process instead).
 */
export function breakLock(dataDir: string, force: boolean): UnlockResult {
	const file = lockPathFor(dataDir);
	for (let attempt = 0; attempt < 100; attempt++) {
		const raw = readRaw(file);
		if (raw === undefined) return {removed: false, state: 'none', message: `no lock: the library ${dataDir} is free`};
		const holder = parseLock(raw);
		const state: HolderState | 'unreadable' = holder ? holderState(holder) : 'unreadable';
		const who = holder ? `isoman ${holder.role} pid ${holder.pid} on host ${holder.host} (since ${holder.startedAt})` : 'an unreadable lock';
		if (state === 'live') {
			return {removed: false, state, holder, message: `${who} holds the library and is running: stop it (kill ${holder!.pid}) instead of breaking its lock`};
		}

		if (state === 'foreign' && !force) {
			return {
				removed: false,
				state,
				holder,
				message: `the lock ${file} was taken by ${who}; isoman cannot check from here whether that process still runs. If you are sure no isoman uses this library on ${holder!.host}, run \`isoman unlock --force\`: it deletes the lock, and if that process does still run, two downloaders would then share the library`,
			};
		}

		if (removeStale(file, raw)) {
			// Someone took the lock meanwhile: look at the new holder.
			if (readRaw(file) !== undefined) continue;
			return {removed: true, state, ...(holder ? {holder} : {}), message: `removed the lock of ${who}${state === 'stale' ? ', which is no longer running' : ''}: the library is free`};
		}

		sleepSync(2);
	}

	throw new Error(`could not remove the library lock ${file}: another process keeps taking it over`);
}
