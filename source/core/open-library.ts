/**
 * Opens a library for a front end: takes the lock and runs recovery when nobody holds it (this process runs
 * the downloads), else opens a client manager that works through the catalogue of the process that does.
 */
import fs from 'node:fs';
import type {Config} from '../config.js';
import {acquireLock, LockHeldError, readLock, type LibraryLock, type LockInfo} from './lock.js';
import {Manager} from './manager.js';
import {recover, type RecoveryReport} from './recovery.js';
import type {Logger} from './types.js';

export type OpenLibrary = {
	manager: Manager;
	/** Set when this process holds the lock. */
	lock?: LibraryLock;
	/** Set when another process holds it. */
	holder?: LockInfo;
	recovery?: RecoveryReport;
	/** Stop, close the catalogue, release the lock. Idempotent. */
	close(): Promise<void>;
};

export async function openLibrary(config: Config, log: Logger, role: string, options: {requireOwner?: boolean} = {}): Promise<OpenLibrary> {
	fs.mkdirSync(config.tmpDir, {recursive: true});
	let lock: LibraryLock | undefined;
	try {
		lock = acquireLock(config.dataDir, role);
	} catch (error) {
		if (!(error instanceof LockHeldError) || options.requireOwner) throw error;
	}

	if (!lock) {
		const holder = readLock(config.dataDir);
		const manager = new Manager({config, log, owner: false, daemonPid: holder?.pid});
		return {manager, holder, close: async () => manager.close()};
	}

	let manager: Manager | undefined;
	try {
		manager = new Manager({config, log, owner: true});
		const recovery = await recover(config, manager.catalogue, log);
		let closed = false;
		const owned = manager;
		return {
			manager,
			lock,
			recovery,
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
