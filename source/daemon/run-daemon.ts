/**
 * `isoman --daemon`: the manager with no UI (this module graph never reaches ink or react).
 * Recovery, then the queue; picks up other processes' work within a second; NDJSON on stdout.
 * SIGINT/SIGTERM: stop taking work, return active downloads to pending (their .part kept), close, exit 0.
 */
import type {Config} from '../config.js';
import {LockHeldError} from '../core/lock.js';
import {openLibrary} from '../core/open-library.js';
import type {Logger} from '../core/types.js';
import {attachReporter, type Write} from './reporter.js';

export type DaemonOptions = {
	config: Config;
	log: Logger;
	exitWhenIdle?: boolean;
	write?: Write;
	/** How often other processes' writes are picked up (ms). */
	pollMs?: number;
};

export async function runDaemon(options: DaemonOptions): Promise<number> {
	const {config, log} = options;
	const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
	let library;
	try {
		library = await openLibrary(config, log, 'daemon', {requireOwner: true});
	} catch (error) {
		if (error instanceof LockHeldError) {
			process.stderr.write(`isoman: cannot start the daemon: ${error.message}\n`);
			write(JSON.stringify({ts: new Date().toISOString(), level: 'error', event: 'lock_held', holder_pid: error.holder.pid, message: error.message}));
			return 1;
		}

		throw error;
	}

	const {manager, recovery} = library;
	const detach = attachReporter(manager, write);
	write(JSON.stringify({ts: new Date().toISOString(), level: 'info', event: 'started', pid: process.pid, data_dir: config.dataDir, recovery}));
	const processed = new Set<string>();
	manager.on('change', change => {
		if (change.type === 'updated' && change.image.status === 'downloading') processed.add(change.image.id);
	});

	return new Promise<number>(resolve => {
		let stopping = false;
		const finish = async (code: number, reason: string) => {
			if (stopping) return;
			stopping = true;
			clearInterval(poll);
			process.off('SIGINT', onSignal);
			process.off('SIGTERM', onSignal);
			write(JSON.stringify({ts: new Date().toISOString(), level: 'info', event: 'stopping', reason}));
			try {
				await library.close();
			} catch (error) {
				log.error('daemon.close_failed', {error});
				code = 1;
			}

			detach();
			write(JSON.stringify({ts: new Date().toISOString(), level: 'info', event: 'stopped', exit_code: code}));
			resolve(code);
		};

		const onSignal = (signal: NodeJS.Signals) => {
			void finish(0, signal);
		};

		const checkIdle = () => {
			if (!options.exitWhenIdle || stopping || !manager.isIdle()) return;
			const failed = [...processed].filter(id => manager.get(id)?.status === 'failed');
			void finish(failed.length > 0 ? 1 : 0, failed.length > 0 ? `idle; failed: ${failed.join(', ')}` : 'idle');
		};

		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
		manager.watch(options.pollMs ?? 250);
		const poll = setInterval(checkIdle, options.pollMs ?? 250);
		manager.on('idle', () => setImmediate(checkIdle));
		manager.start();
		checkIdle();
	});
}
