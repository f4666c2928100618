/**
 * `GET /ws`: ISOMan's progress messages over a WebSocket (the `ws` package, in noServer mode on the daemon's
 * server), ONE JSON object per frame: `{"type":"progress","payload":{"id","status","progress"}}` (progress an
 * integer 0–100). Sent on connect for every active download, on every state change (ISOMan's UI refetches the list
 * only when a frame says complete or failed, so those are never skipped), and at most once a second per active
 * download while bytes move. A client whose unsent backlog passes 1 MiB, or that stops answering pings, is dropped.
 */
import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import {WebSocketServer, type WebSocket} from 'ws';
import type {Image, ImageChange, Library, Progress, Status} from '../../core/index.js';
import {integerProgress} from './iso-json.js';

export const WS_MAX_BACKLOG = 1024 * 1024;
const PING_MS = 30_000;

type Frame = {type: 'progress'; payload: {id: string; status: Status; progress: number}} | {type: 'removed'; payload: {id: string}};

const ACTIVE: ReadonlySet<Status> = new Set(['downloading', 'verifying']);

export class ProgressSocket {
	private readonly wss = new WebSocketServer({noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false});
	private readonly clients = new Set<WebSocket>();
	private readonly alive = new WeakMap<WebSocket, boolean>();
	private readonly lastSent = new Map<string, number>();
	private readonly status = new Map<string, Status>();
	private attached = false;
	private ping: NodeJS.Timeout | undefined;

	constructor(
		private readonly manager: Library,
		private readonly progressEveryMs = 1000,
		private readonly maxBacklog = WS_MAX_BACKLOG,
	) {}

	get size(): number {
		return this.clients.size;
	}

	accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
		this.wss.handleUpgrade(req, socket, head, ws => {
			this.attach();
			this.clients.add(ws);
			this.alive.set(ws, true);
			ws.on('pong', () => this.alive.set(ws, true));
			ws.on('close', () => this.clients.delete(ws));
			ws.on('error', () => {
				this.clients.delete(ws);
				ws.terminate();
			});
			// Messages from the client mean nothing here (ISOMan's socket was broadcast-only as well).
			for (const image of this.manager.list()) {
				if (ACTIVE.has(image.status)) this.sendTo(ws, progressFrame(image.id, image.status, this.progressOf(image)));
			}
		});
	}

	private progressOf(image: Image): number {
		const live = this.manager.progressSnapshot().find(p => p.id === image.id);
		return live?.total ? Math.min(100, Math.floor((live.downloaded * 100) / live.total)) : integerProgress(image);
	}

	private attach(): void {
		if (this.attached) return;
		this.attached = true;
		for (const image of this.manager.list()) this.status.set(image.id, image.status);
		this.manager.on('change', this.onChange);
		this.manager.on('progress', this.onProgress);
		this.ping = setInterval(() => {
			for (const ws of this.clients) {
				if (!this.alive.get(ws)) {
					this.clients.delete(ws);
					ws.terminate();
					continue;
				}

				this.alive.set(ws, false);
				ws.ping();
			}
		}, PING_MS);
		this.ping.unref();
	}

	private readonly onChange = (change: ImageChange): void => {
		if (change.type === 'removed') {
			this.status.delete(change.id);
			this.lastSent.delete(change.id);
			this.broadcast({type: 'removed', payload: {id: change.id}});
			return;
		}

		const {image} = change;
		if (this.status.get(image.id) === image.status && change.type === 'updated') return;
		this.status.set(image.id, image.status);
		this.lastSent.set(image.id, Date.now());
		this.broadcast(progressFrame(image.id, image.status, integerProgress(image)));
	};

	private readonly onProgress = (all: Progress[]): void => {
		const now = Date.now();
		for (const p of all) {
			if (now - (this.lastSent.get(p.id) ?? 0) < this.progressEveryMs) continue;
			const known = this.status.get(p.id);
			// A late sample after the image left its active states must not contradict the state frame just sent.
			if (known && !ACTIVE.has(known) && known !== 'pending') continue;
			this.lastSent.set(p.id, now);
			const status: Status = p.phase === 'verifying' ? 'verifying' : 'downloading';
			const progress = p.total ? Math.min(100, Math.floor((p.downloaded * 100) / p.total)) : 0;
			this.broadcast(progressFrame(p.id, status, progress));
		}
	};

	private broadcast(frame: Frame): void {
		const text = JSON.stringify(frame);
		for (const ws of this.clients) this.sendTo(ws, text);
	}

	private sendTo(ws: WebSocket, frame: Frame | string): void {
		if (ws.readyState !== ws.OPEN) return;
		if (ws.bufferedAmount > this.maxBacklog) {
			this.clients.delete(ws);
			ws.terminate();
			return;
		}

		ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
	}

	async close(): Promise<void> {
		clearInterval(this.ping);
		if (this.attached) {
			this.manager.off('change', this.onChange);
			this.manager.off('progress', this.onProgress);
		}

		for (const ws of this.clients) ws.terminate();
		this.clients.clear();
		await new Promise<void>(resolve => this.wss.close(() => resolve()));
	}
}

function progressFrame(id: string, status: Status, progress: number): Frame {
	return {type: 'progress', payload: {id, status, progress}};
}
