/**
 * `isoman status` and `isoman stop`: who holds the library (role, pid, since when, what it is doing, where it
 * serves), and a graceful stop of the daemon that does (SIGTERM, then wait for it to release the library).
 * Both only read the catalogue; neither ever starts or creates anything.
 */
import fs from 'node:fs';
import os from 'node:os';
import type {Config} from '../config.js';
import {alive, jsonText, messageText, openReader, readLock, readServerInfo, type LockInfo, type Logger, type Status} from '../core/index.js';

export type Io = {out(text: string): void; err(text: string): void};

type Counts = Record<'active' | 'queued' | 'paused' | 'failed' | 'complete' | 'missing', number>;

async function counts(config: Config, log: Logger): Promise<Counts> {
	const out: Counts = {active: 0, queued: 0, paused: 0, failed: 0, complete: 0, missing: 0};
	if (!fs.existsSync(config.dbPath)) return out;
	const bucket: Record<Status, keyof Counts> = {
		downloading: 'active',
		verifying: 'active',
		pending: 'queued',
		paused: 'paused',
		failed: 'failed',
		complete: 'complete',
		missing: 'missing',
	};
	const reader = openReader(config);
	try {
		for (const image of reader.list()) out[bucket[image.status]]++;
		return out;
	} finally {
		await reader.close();
	}
}

const ROLE_NAMES: Record<string, string> = {tui: 'TUI', daemon: 'daemon', command: 'command'};
const roleName = (role: string) => ROLE_NAMES[role] ?? role;

function since(startedAt: string, now = Date.now()): string {
	const seconds = Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000));
	if (!Number.isFinite(seconds)) return startedAt;
	const h = Math.floor(seconds / 3600);
	const m = Math.floor((seconds % 3600) / 60);
	const ago = h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
	return `${startedAt}, ${ago} ago`;
}

/** `isoman status [--json]`: exit 0 when a process holds the library, 1 when none does. */
export async function status(config: Config, json: boolean, log: Logger, io: Io): Promise<number> {
	const holder = readLock(config.dataDir);
	const serving = readServerInfo(config.dataDir);
	const c = await counts(config, log);
	if (json) {
		io.out(
			jsonText(
				{
					data_dir: config.dataDir,
					holder: holder ? {role: holder.role, pid: holder.pid, host: holder.host, started_at: holder.startedAt} : null,
					listening: serving?.url ?? null,
					images: c,
				},
				2,
			),
		);
		return holder ? 0 : 1;
	}

	const lines = [
		holder
			? `isoman ${roleName(holder.role)} pid ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${messageText(holder.host)}`} holds ${messageText(config.dataDir)} (since ${since(holder.startedAt)})`
			: `nothing holds ${messageText(config.dataDir)}: no daemon or TUI is running, nothing downloads`,
		`images: ${c.active} active, ${c.queued} queued, ${c.paused} paused, ${c.failed} failed, ${c.complete} complete${c.missing > 0 ? `, ${c.missing} missing` : ''}`,
	];
	if (serving) lines.push(`listening: ${serving.url}`);
	if (holder?.role === 'daemon') lines.push('stop it with: isoman stop');
	io.out(lines.join('\n'));
	return holder ? 0 : 1;
}

/** Holds while `holder` still holds the library (same pid and start). */
const stillHolds = (config: Config, holder: LockInfo) => {
	const now = readLock(config.dataDir);
	return now !== undefined && now.pid === holder.pid && now.startedAt === holder.startedAt;
};

export type StopOptions = {timeoutMs?: number; pollMs?: number};

/**
 * `isoman stop`: SIGTERM to the daemon holding the library, then wait until it has let go of it.
 * Exit 0 stopped (or nothing was running); 1 it did not stop in time (it is still running); 2 not something this
 * can stop (a TUI, a process on another host).
 */
export async function stop(config: Config, io: Io, options: StopOptions = {}): Promise<number> {
	const holder = readLock(config.dataDir);
	if (!holder) {
		io.out(`nothing to stop: no daemon holds ${messageText(config.dataDir)}`);
		return 0;
	}

	if (holder.host !== os.hostname()) {
		io.err(`isoman: the library is held by isoman ${roleName(holder.role)} pid ${holder.pid} on ${messageText(holder.host)}; stop it there`);
		return 2;
	}

	if (holder.role === 'tui') {
		io.err(`isoman: the library is held by a TUI (pid ${holder.pid}), not a daemon: quit it with q in its terminal`);
		return 2;
	}

	const started = Date.now();
	const timeoutMs = options.timeoutMs ?? 15_000;
	try {
		process.kill(holder.pid, 'SIGTERM');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
			io.out(`isoman ${roleName(holder.role)} pid ${holder.pid} had already stopped`);
			return 0;
		}

		io.err(`isoman: cannot signal pid ${holder.pid}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
		return 2;
	}

	io.err(`isoman: stopping ${roleName(holder.role)} pid ${holder.pid} (active downloads keep their partial data and resume at the next start)…`);
	while (Date.now() - started < timeoutMs) {
		if (!stillHolds(config, holder) && !alive(holder.pid)) {
			io.out(`stopped isoman ${roleName(holder.role)} pid ${holder.pid} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
			return 0;
		}

		await new Promise(resolve => setTimeout(resolve, options.pollMs ?? 50));
	}

	io.err(`isoman: ${roleName(holder.role)} pid ${holder.pid} is still running after ${timeoutMs / 1000} s; it may be finishing a write (kill -9 is safe: the next start recovers)`);
	return 1;
}
