/**
 * /ws and /api/events during real downloads, frames parsed one by one; a client that never reads is dropped
 * without holding up the others, and its backlog stays bounded.
 */
import http from 'node:http';
import net from 'node:net';
import type {AddressInfo} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import WebSocket from 'ws';
import type {DaemonEvent, EventFeed} from '../../../source/server/context.js';
import {EventStream} from '../../../source/server/api/events-stream.js';
import {ProgressSocket} from '../../../source/server/api/websocket.js';
import {waitFor} from '../../support/library.js';
import {decodeGo, WSProgressMessage} from './go-types.js';
import {startApi, type ApiHarness} from './helpers.js';
import {sseReader} from './sse.js';

let h: ApiHarness | undefined;
afterEach(async () => {
	await h?.close();
	h = undefined;
});

const MiB = 1024 * 1024;

type Frame = {type: string; payload: {id: string; status: string; progress: number}};

function collectFrames(url: string, headers: Record<string, string> = {}) {
	const frames: Frame[] = [];
	const raw: string[] = [];
	const ws = new WebSocket(url, {headers});
	ws.on('message', (data, isBinary) => {
		expect(isBinary).toBe(false);
		const text = data.toString();
		raw.push(text);
		// ONE JSON object per frame: never several joined by newlines.
		expect(text.includes('\n')).toBe(false);
		frames.push(JSON.parse(text) as Frame);
	});
	const opened = new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	return {frames, raw, ws, opened};
}

describe('/ws', () => {
	it('sends ISOMan progress frames during a real download: integer progress, every state change, complete always', async () => {
		h = await startApi();
		await h.server.serve('/live-1.0-x86_64.iso', {kind: 'generated', size: 3 * MiB, seed: 21, fileType: 'iso'}, {throttleBps: 1 * MiB});
		const client = collectFrames(`${h.origin.replace('http', 'ws')}/ws`);
		await client.opened;
		const created = await h.call('POST', '/api/isos', {body: {download_url: h.server.url('/live-1.0-x86_64.iso')}});
		const id = created.json.data.id as string;
		await h.until(id, 'complete');
		await waitFor(() => client.frames.some(f => f.payload.id === id && f.payload.status === 'complete'), {what: 'the complete frame'});
		const mine = client.frames.filter(f => f.type === 'progress' && f.payload.id === id);
		for (const frame of mine) decodeGo(frame, WSProgressMessage);
		const statuses = mine.map(f => f.payload.status);
		expect(statuses[0]).toBe('pending');
		expect(statuses).toContain('downloading');
		expect(statuses).toContain('verifying');
		expect(statuses.at(-1)).toBe('complete');
		expect(mine.at(-1)!.payload.progress).toBe(100);
		// Progress while downloading: more than one frame, never more than about one a second, never going back.
		const downloading = mine.filter(f => f.payload.status === 'downloading').map(f => f.payload.progress);
		expect(downloading.length).toBeGreaterThan(1);
		expect(downloading.length).toBeLessThan(12);
		expect([...downloading].sort((a, b) => a - b)).toEqual(downloading);
		client.ws.close();
	});

	it('a failed download always sends its failed frame; a client connecting mid-download gets the active ones at once', async () => {
		h = await startApi();
		await h.server.serve('/fail-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 403}]});
		await h.server.serve('/long-1.0-x86_64.iso', {kind: 'generated', size: 8 * MiB, seed: 22, fileType: 'iso'}, {throttleBps: 512 * 1024});
		const early = collectFrames(`${h.origin.replace('http', 'ws')}/ws`);
		await early.opened;
		const failing = (await h.call('POST', '/api/isos', {body: {download_url: h.server.url('/fail-1.0-x86_64.iso')}})).json.data.id as string;
		const long = (await h.call('POST', '/api/isos', {body: {download_url: h.server.url('/long-1.0-x86_64.iso')}})).json.data.id as string;
		await waitFor(() => early.frames.some(f => f.payload.id === failing && f.payload.status === 'failed'), {what: 'the failed frame'});
		await waitFor(() => h!.manager.get(long)?.status === 'downloading' && (h!.manager.get(long)?.downloadedBytes ?? 0) > 0, {what: 'the long download to run'});
		const late = collectFrames(`${h.origin.replace('http', 'ws')}/ws`);
		await late.opened;
		await waitFor(() => late.frames.length > 0, {what: 'the on-connect frame'});
		expect(late.frames[0]).toMatchObject({type: 'progress', payload: {id: long, status: 'downloading'}});
		expect(Number.isInteger(late.frames[0]!.payload.progress)).toBe(true);
		early.ws.close();
		late.ws.close();
	});
});

describe('/api/events', () => {
	it('carries the daemon’s NDJSON events as SSE data lines during a real download', async () => {
		h = await startApi();
		await h.server.serve('/sse-1.0-x86_64.iso', {kind: 'generated', size: 2 * MiB, seed: 23, fileType: 'iso'}, {throttleBps: 1 * MiB});
		const res = await fetch(`${h.origin}/api/events`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
		const events: Array<Record<string, unknown>> = [];
		const feed = sseReader(event => events.push(event));
		const reader = res.body!.getReader();
		const decoder = new TextDecoder();
		const reading = (async () => {
			for (;;) {
				const {value, done} = await reader.read();
				if (done) return;
				feed(decoder.decode(value, {stream: true}));
			}
		})();
		const id = (await h.call('POST', '/api/isos', {body: {download_url: h.server.url('/sse-1.0-x86_64.iso')}})).json.data.id as string;
		await waitFor(() => events.some(e => e.event === 'complete' && e.id === id), {what: 'the complete event'});
		const kinds = events.filter(e => e.id === id).map(e => e.event);
		expect(kinds[0]).toBe('added');
		expect(kinds).toEqual(expect.arrayContaining(['downloading', 'verifying', 'complete']));
		for (const e of events) expect(typeof e.ts).toBe('string');
		await reader.cancel();
		await reading.catch(() => {});
	});
});

describe('a client that never reads', () => {
	it('SSE: is dropped once its backlog passes the bound; a reading client gets every event meanwhile', async () => {
		const listeners = new Set<(event: DaemonEvent) => void>();
		const feed: EventFeed = {
			subscribe(listener) {
				listeners.add(listener);
				return () => listeners.delete(listener);
			},
		};
		const stream = new EventStream(feed, 64 * 1024);
		const server = http.createServer((req, res) => stream.open(req, res));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		try {
			// The stuck client: asks for the stream, then never reads a byte.
			const stuck = net.connect(port, '127.0.0.1');
			stuck.pause();
			const stuckClosed = new Promise<void>(resolve => stuck.on('close', () => resolve()));
			stuck.on('error', () => {});
			stuck.write('GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n');
			await waitFor(() => stream.size === 1, {what: 'the stuck client'});
			const good = await fetch(`http://127.0.0.1:${port}/api/events`);
			await waitFor(() => stream.size === 2, {what: 'the good client'});
			let received = 0;
			const reader = good.body!.getReader();
			const reading = (async () => {
				let text = '';
				for (;;) {
					const {value, done} = await reader.read();
					if (done) return;
					text += Buffer.from(value).toString();
					const parts = text.split('\n\n');
					text = parts.pop()!;
					received += parts.filter(p => p.includes('data: ')).length;
				}
			})();
			// Far more than the kernel's socket buffers can hide, paced by the reading client: it is never held up.
			const padding = 'x'.repeat(2000);
			let sent = 0;
			while (stream.size === 2 && sent < 100_000) {
				for (let i = 0; i < 20; i++, sent++) for (const l of listeners) l({ts: new Date().toISOString(), level: 'info', event: 'notice', message: padding, n: sent});
				await waitFor(() => received === sent, {what: `the reading client to have ${sent} events (got ${received})`});
			}

			expect(stream.size).toBe(1);
			// The stuck client learns it was dropped as soon as it reads again.
			stuck.resume();
			await stuckClosed;
			await reader.cancel();
			await reading.catch(() => {});
		} finally {
			stream.close();
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		}
	});

	it('/ws: a socket that upgrades and never reads is terminated; a reading client keeps up meanwhile', async () => {
		h = await startApi();
		await h.manager.stop();
		const image = h.manager.addNow({url: 'https://example.org/ws-1.0-x86_64.iso'});
		const socket = new ProgressSocket(h.manager, 1000, 16 * 1024);
		const server = http.createServer((_req, res) => res.end());
		server.on('upgrade', (req, duplex, head) => socket.accept(req, duplex, head));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		try {
			const stuck = net.connect(port, '127.0.0.1');
			stuck.on('error', () => {});
			let stuckGone = false;
			stuck.on('close', () => (stuckGone = true));
			stuck.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
			await waitFor(() => socket.size === 1, {what: 'the stuck upgrade'});
			stuck.pause();
			const good = collectFrames(`ws://127.0.0.1:${port}/ws`);
			await good.opened;
			await waitFor(() => socket.size === 2, {what: 'the good client'});
			// State changes, as the manager announces them: each one a frame to every client.
			let sent = 0;
			const states = ['paused', 'pending'] as const;
			while (socket.size === 2 && sent < 200_000) {
				for (let i = 0; i < 50; i++, sent++) h.manager.emit('change', {type: 'updated', image: {...image, status: states[sent % 2]!}, previous: undefined});
				await waitFor(() => good.frames.length === sent, {what: `the reading client to have ${sent} frames (got ${good.frames.length})`});
			}

			expect(socket.size).toBe(1);
			// The stuck client learns it was dropped as soon as it reads again.
			stuck.resume();
			await waitFor(() => stuckGone, {what: 'the stuck socket to close'});
			expect(good.ws.readyState).toBe(WebSocket.OPEN);
			good.ws.close();
		} finally {
			await socket.close();
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		}
	});
});
