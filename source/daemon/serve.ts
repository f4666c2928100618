/**
 * The daemon's HTTP side (`--listen`): starts the server on the library this process owns, prints the
 * `listening` event, tells other processes the URL (`<data>/isoman.serve`), and stops it all on shutdown.
 */
import type {Config} from '../config.js';
import {removeServerInfo, writeServerInfo, type Logger} from '../core/index.js';
import type {DaemonEvent, EventFeed, RequestHandlerFactory} from '../server/context.js';
import type {ServedLibrary} from '../server/library.js';
import {attachReporter, type Write} from './reporter.js';

export type Serving = {url: string; close(): Promise<void>};

/** A `Write` that also hands every event to subscribers (parsed only while someone listens). */
export function fanOut(write: Write): {write: Write; feed: EventFeed} {
	const listeners = new Set<(event: DaemonEvent) => void>();
	return {
		write(line) {
			write(line);
			if (listeners.size === 0) return;
			const event = JSON.parse(line) as DaemonEvent;
			for (const listener of listeners) listener(event);
		},
		feed: {
			subscribe(listener) {
				listeners.add(listener);
				return () => listeners.delete(listener);
			},
		},
	};
}

export async function startServing(
	library: ServedLibrary,
	config: Config,
	log: Logger,
	feed: EventFeed,
	emit: (level: string, event: string, fields?: Record<string, unknown>) => void,
	handler?: RequestHandlerFactory,
): Promise<Serving> {
	const {startServer} = await import('../server/start-server.js');
	const server = await startServer(library, {config, log, events: feed, handler});
	writeServerInfo(config.dataDir, {pid: process.pid, url: server.url});
	emit('info', 'listening', {address: server.address, port: server.port, url: server.url, images_url: `${server.url}/images/`, ...server.listeningFields});
	return {
		url: server.url,
		async close() {
			removeServerInfo(config.dataDir);
			await server.close();
		},
	};
}

/**
 * The same server for a process that owns the library without the daemon's NDJSON stdout (the TUI's `--listen`):
 * the library's events still reach `/api/events` and `/ws`, and the `listening` event goes to the log.
 */
export async function serveLibrary(library: ServedLibrary, config: Config, log: Logger): Promise<Serving> {
	const {write, feed} = fanOut(() => undefined);
	const detach = attachReporter(library, write);
	try {
		const {createApiHandler} = await import('../server/api/index.js');
		const serving = await startServing(library, config, log, feed, (_level, event, fields) => log.info(`http.${event}`, fields), createApiHandler);
		return {
			url: serving.url,
			async close() {
				detach();
				await serving.close();
			},
		};
	} catch (error) {
		detach();
		throw error;
	}
}
