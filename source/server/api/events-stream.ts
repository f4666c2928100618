/**
 * `GET /api/events`: Server-Sent Events, one `data:` line per NDJSON event of the daemon (the very lines it prints
 * on stdout: state changes, and a progress line per active download at most every 5 s). Hand-written: the
 * format is four lines of text, and no SSE library adds what this needs (a bound on each client's buffer).
 * A client that does not read is dropped once its unsent backlog passes the bound; the others never wait for it.
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import {jsonText, type Library} from '../../core/index.js';
import {attachReporter} from '../../daemon/reporter.js';
import type {DaemonEvent, EventFeed} from '../context.js';

/** The daemon's events made from a manager directly (when no daemon feed is given: an API on its own). */
export function managerFeed(manager: Library, progressEveryMs = 1000): EventFeed {
	const listeners = new Set<(event: DaemonEvent) => void>();
	let detach: (() => void) | undefined;
	return {
		subscribe(listener) {
			listeners.add(listener);
			detach ??= attachReporter(manager, line => {
				const event = JSON.parse(line) as DaemonEvent;
				for (const l of listeners) l(event);
			}, progressEveryMs);
			return () => {
				listeners.delete(listener);
				if (listeners.size === 0) {
					detach?.();
					detach = undefined;
				}
			};
		},
	};
}

export const SSE_MAX_BACKLOG = 256 * 1024;
const HEARTBEAT_MS = 15_000;

export class EventStream {
	private readonly clients = new Set<ServerResponse>();
	private detach: (() => void) | undefined;
	private heartbeat: NodeJS.Timeout | undefined;
	private seq = 0;

	constructor(
		private readonly feed: EventFeed,
		private readonly maxBacklog = SSE_MAX_BACKLOG,
	) {}

	get size(): number {
		return this.clients.size;
	}

	open(req: IncomingMessage, res: ServerResponse): void {
		res.writeHead(200, {
			'Content-Type': 'text/event-stream; charset=utf-8',
			'Cache-Control': 'no-store',
			Connection: 'keep-alive',
			'X-Accel-Buffering': 'no',
		});
		res.write('retry: 3000\n: isoman events\n\n');
		this.clients.add(res);
		const drop = () => this.clients.delete(res);
		req.on('close', drop);
		res.on('close', drop);
		res.on('error', drop);
		this.start();
	}

	private start(): void {
		if (this.detach) return;
		this.detach = this.feed.subscribe(event => this.broadcast(jsonText(event)));
		this.heartbeat = setInterval(() => this.send(': keep-alive\n\n'), HEARTBEAT_MS);
		this.heartbeat.unref();
	}

	private broadcast(line: string): void {
		this.seq++;
		this.send(`id: ${this.seq}\ndata: ${line}\n\n`);
	}

	private send(text: string): void {
		for (const res of this.clients) {
			if (res.destroyed || res.writableLength > this.maxBacklog) {
				this.clients.delete(res);
				res.destroy();
				continue;
			}

			res.write(text);
		}
	}

	close(): void {
		this.detach?.();
		this.detach = undefined;
		clearInterval(this.heartbeat);
		for (const res of this.clients) res.destroy();
		this.clients.clear();
	}
}
