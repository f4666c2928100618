/**
 * Opens a library for a front end: takes the lock and runs recovery when nobody holds it (this process runs
 * the downloads: a Manager), else a ClientLibrary that sends its commands to the process that does. Both are a
 * Library; the front end never needs to know which it got.
 */
import fs from 'node:fs';
import type {Config} from '../config.js';
import {acquireLock, LockHeldError, readLock, type LibraryLock, type LockInfo} from './lock.js';
import {ClientLibrary} from './client-library.js';
import type {Library, LibraryReader} from './library.js';
import {CatalogueReader} from './catalogue-reader.js';
import {Manager} from './manager.js';
import {recover, type RecoveryReport} from './recovery.js';
import {ensureRealDir} from './safe-fs.js';
import type {Logger} from './types.js';

export type OpenLibrary = {
	library: Library;
	/** Set when this process holds the lock. */
	lock?: LibraryLock;
	/** Set when another process holds it. */
	holder?: LockInfo;
	/** What recovery did (owner, unless it was deferred). */
	recovery?: RecoveryReport;
	/** Owner only: run recovery (if deferred, or again) and start downloading. */
	recoverAndStart?: () => Promise<RecoveryReport>;
	/** Stop, close the catalogue, release the lock. Idempotent. */
	close(): Promise<void>;
};

export type OpenLibraryOptions = {
	/** Throw LockHeldError instead of opening as a client when another process holds the library. */
	requireOwner?: boolean;
	/**
	 * A subcommand holds the lock only while it runs (it never carries out queued commands): wait up to this long
	 * (ms, default 10 000) for it to finish rather than queue work for it or give up.
	 */
	waitForCommandMs?: number;
	/** Called once when that wait starts. */
	onWait?: (holder: LockInfo) => void;
	/** Stops that wait (openLibrary then throws the signal's reason). */
	signal?: AbortSignal;
	/**
	 * Owner: do not run recovery now; the caller runs `recoverAndStart()` when it is ready (the TUI shows its first
	 * frame first). Nothing downloads before recovery has run.
	 */
	deferRecovery?: boolean;
	/** Owner: run the transfers on a thread of their own (the TUI, whose main thread must stay free to draw). */
	transferThread?: boolean;
};

export async function openLibrary(config: Config, log: Logger, role: string, options: OpenLibraryOptions = {}): Promise<OpenLibrary> {
	fs.mkdirSync(config.dataDir, {recursive: true});
	// images/ and images/.tmp are real directories (never a link followed), .tmp private to this user.
	ensureRealDir(config.dataDir, config.imagesDir);
	ensureRealDir(config.dataDir, config.tmpDir, 0o700);
	let lock: LibraryLock | undefined;
	let holder: LockInfo | undefined;
	const deadline = Date.now() + (options.waitForCommandMs ?? 10_000);
	let waiting = false;
	for (let attempt = 0; !lock && !holder; attempt++) {
		try {
			lock = acquireLock(config.dataDir, role);
		} catch (error) {
			if (!(error instanceof LockHeldError)) throw error;
			if (error.holder.role === 'command' && Date.now() < deadline) {
				options.signal?.throwIfAborted();
				if (!waiting) options.onWait?.(error.holder);
				waiting = true;
				log.debug('library.wait_for_command', {pid: error.holder.pid});
				await new Promise(resolve => setTimeout(resolve, 50));
				continue;
			}

			if (options.requireOwner) throw error;
			// The holder may exit between our attempt and this look at it: then try again to take the lock.
			holder = readLock(config.dataDir);
			if (!holder && attempt >= 3) throw error;
		}
	}

	if (!lock) {
		const client = new ClientLibrary({config, log, ownerPid: holder!.pid, ownerRole: holder!.role});
		return {library: client, holder, close: async () => client.close()};
	}

	let manager: Manager | undefined;
	try {
		manager = new Manager({config, log, ...(options.transferThread ? {transferThread: true} : {})});
		manager.settleOrphanedCommands();
		const recovery = options.deferRecovery ? undefined : await recover(config, manager.catalogue, log);
		let closed = false;
		const owned = manager;
		return {
			library: manager,
			lock,
			recovery,
			async recoverAndStart() {
				const report = await recover(config, owned.catalogue, log);
				// Recovery wrote through this connection: tell the front ends what it changed.
				await owned.sync(true);
				owned.start();
				return report;
			},
			async close() {
				if (closed) return;
				closed = true;
				try {
					await owned.close();
				} finally {
					lock.release();
				}
			},
		};
	} catch (error) {
		await manager?.close().catch(() => {});
		lock.release();
		throw error;
	}
}

/** The catalogue for reading only (`list`, `show`): no lock, no recovery, no commands. */
export function openReader(config: Config): LibraryReader {
	return new CatalogueReader(config);
}
