/**
 * The daemon's HTTP side (`--listen`): starts the server on the library this process owns, prints the
 * `listening` event, tells other processes the URL (`<data>/isoman.serve`), and stops it all on shutdown.
 */
import type {Config} from '../config.js';
import {removeServerInfo, writeServerInfo, type Logger} from '../core/index.js';
import type {DaemonEvent, EventFeed, RequestHandlerFactory} from '../server/context.js';
import type {ServedLibrary} from '../server/library.js';
import type {Write} from './reporter.js';

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
