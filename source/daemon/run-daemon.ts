/**
 * `isoman --daemon`: the manager with no UI (this module graph never reaches ink or react).
 * Recovery, then the queue; picks up other processes' work within a second; NDJSON on stdout.
 * SIGINT/SIGTERM: stop taking work, return active downloads to pending (their .part kept), close, exit 0.
 */
import type {Config} from '../config.js';
import {LockHeldError, messageText, openLibrary, type Logger, type OpenLibrary} from '../core/index.js';
import {attachReporter, ndjsonWriter, type Write} from './reporter.js';
import {fanOut, startServing, type Serving} from './serve.js';

export type DaemonOptions = {
	config: Config;
	log: Logger;
	exitWhenIdle?: boolean;
	write?: Write;
	/** How often other processes' writes are picked up (ms). */
	pollMs?: number;
	/** At most one progress line per download this often (ms; default 5000). */
	progressEveryMs?: number;
	/** After a signal, give up waiting for a clean close after this long (ms; default 3500, so the exit is within 5 s). */
	stopTimeoutMs?: number;
};

export async function runDaemon(options: DaemonOptions): Promise<number> {
	const {config, log} = options;
	// Every line also goes to the HTTP server's subscribers (Server-Sent Events), when it serves.
	const {write, feed} = fanOut(options.write ?? ((line: string) => process.stdout.write(line + '\n')));
	const emit = ndjsonWriter(write);
	// A signal during start-up (recovery can take a while) is honoured as soon as the library is open.
	let signalled: NodeJS.Signals | undefined;
	const starting = new AbortController();
	let onSignal = (signal: NodeJS.Signals) => {
		signalled ??= signal;
		starting.abort(new Error(`${signal} while starting`));
	};

	const signalHandler = (signal: NodeJS.Signals) => onSignal(signal);
	process.on('SIGINT', signalHandler);
	process.on('SIGTERM', signalHandler);
	const removeSignalHandlers = () => {
		process.off('SIGINT', signalHandler);
		process.off('SIGTERM', signalHandler);
	};

	let library: OpenLibrary;
	try {
		library = await openLibrary(config, log, 'daemon', {
			requireOwner: true,
			signal: starting.signal,
			onWait: holder => emit('info', 'waiting', {holder_pid: holder.pid, holder_role: holder.role, message: `waiting for isoman ${holder.role} pid ${holder.pid} to finish`}),
		});
	} catch (error) {
		removeSignalHandlers();
		if (signalled && starting.signal.reason === error) {
			emit('info', 'stopped', {exit_code: 0, reason: signalled});
			return 0;
		}

		if (error instanceof LockHeldError) {
			process.stderr.write(`isoman: cannot start the daemon: ${messageText(error.message)}\n`);
			emit('error', 'lock_held', {holder_pid: error.holder.pid, holder_role: error.holder.role, message: error.message});
			return 1;
		}

		// Opening failed (a catalogue that cannot be written, a broken file): the caller prints the reason; the
		// event stream still ends with `stopped`, as every other way out does.
		emit('error', 'stopped', {exit_code: 1, message: error instanceof Error ? error.message : String(error)});
		throw error;
	}

	const {library: manager, recovery} = library;
	const detach = attachReporter(manager, write, options.progressEveryMs);
	emit('info', 'started', {pid: process.pid, data_dir: config.dataDir, recovery});
	let serving: Serving | undefined;
	if (config.listen) {
		try {
			// The REST API, /ws and the web root plug into the server (loaded only when serving).
			const {createApiHandler} = await import('../server/api/index.js');
			serving = await startServing(manager, config, log, feed, emit, createApiHandler);
		} catch (error) {
			const message = `cannot serve on ${config.listen.host}:${config.listen.port}: ${error instanceof Error ? error.message : String(error)}`;
			process.stderr.write(`isoman: ${message}\n`);
			emit('error', 'listen_failed', {message});
			detach();
			await library.close();
			removeSignalHandlers();
			emit('info', 'stopped', {exit_code: 1});
			return 1;
		}
	}

	// Images this run worked on: --exit-when-idle exits 1 when any of them ended failed.
	const processed = new Set<string>();
	manager.on('change', change => {
		if (change.type === 'updated' && (change.image.status === 'downloading' || change.image.status === 'verifying')) processed.add(change.image.id);
	});

	return new Promise<number>(resolve => {
		let stopping = false;
		let poll: NodeJS.Timeout | undefined;
		const finish = async (code: number, reason: string) => {
			if (stopping) return;
			stopping = true;
			clearInterval(poll);
			emit('info', 'stopping', {reason});
			// Exit within 5 s whatever happens: if closing hangs, give up on it (the next start's recovery puts the
			// rows right) and release the lock so that start is not refused.
			let settled = false;
			const watchdog = setTimeout(() => {
				if (settled) return;
				settled = true;
				log.error('daemon.stop_timeout', {ms: options.stopTimeoutMs ?? 3500});
				library.lock?.release();
				removeSignalHandlers();
				emit('warn', 'stopped', {exit_code: code, forced: true, message: 'closing took too long; recovery will finish it at the next start'});
				resolve(code);
			}, options.stopTimeoutMs ?? 3500);
			try {
				await serving?.close().catch((error: unknown) => log.error('http.close_failed', {error}));
				await library.close();
			} catch (error) {
				log.error('daemon.close_failed', {error});
				code = 1;
			}

			clearTimeout(watchdog);
			if (settled) return;
			settled = true;
			removeSignalHandlers();
			detach();
			emit('info', 'stopped', {exit_code: code});
			resolve(code);
		};

		onSignal = (signal: NodeJS.Signals) => {
			void finish(0, signal);
		};

		const checkIdle = () => {
			if (!options.exitWhenIdle || stopping || !manager.isIdle()) return;
			const failed = [...processed].filter(id => manager.get(id)?.status === 'failed');
			void finish(failed.length > 0 ? 1 : 0, failed.length > 0 ? `idle; failed: ${failed.join(', ')}` : 'idle');
		};

		if (signalled) {
			void finish(0, signalled);
			return;
		}

		// The catalogue cannot be written: nothing can make progress; say so once and exit 1 (never a loop).
		manager.on('fatal', reason => {
			process.stderr.write(`isoman: ${messageText(reason)}\n`);
			void finish(1, reason);
		});
		manager.watch(options.pollMs ?? 250);
		poll = setInterval(checkIdle, options.pollMs ?? 250);
		manager.on('idle', () => setImmediate(checkIdle));
		try {
			manager.start();
			checkIdle();
		} catch (error) {
			// Starting writes the catalogue (the owner's settings, the queue): one that cannot be written stops here.
			const code = (error as {code?: unknown}).code;
			const reason = `${typeof code === 'string' && code.startsWith('SQLITE_') ? `the catalogue ${config.dbPath} cannot be written (${code}): ` : ''}${error instanceof Error ? error.message : String(error)}`;
			log.error('daemon.start_failed', {error});
			process.stderr.write(`isoman: ${messageText(reason)}\n`);
			void finish(1, reason);
		}
	});
}
