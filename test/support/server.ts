/**
 * Fault-injecting HTTP server for tests and benchmarks (node:http on 127.0.0.1).
 *
 * Generated content is produced on the fly in 64 KiB blocks: each block is a 4-byte-aligned window of a 1 MiB random
 * pool (one per seed) XORed with a 32-bit key, both window and key derived from (seed, blockIndex). Any byte range can
 * be produced without its prefix, at several GB/s. The first block(s) are precomputed with the file type's magic
 * stamped in (stampMagic on the file's head), so the magic appears whichever range is asked for.
 */

import {createHash} from 'node:crypto';
import http from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {bytesNeeded, stampMagic} from '../../source/core/download/magic.js';

export type Content =
	/** Literal bytes. */
	| {kind: 'buffer'; data: Buffer}
	/**
	 * Deterministic pseudo-random bytes generated on the fly (never held in memory whole), with the magic number of
	 * `fileType` stamped in (see source/core/download/magic.ts stampMagic) so the content check accepts it.
	 */
	| {kind: 'generated'; size: number; seed: number; fileType?: string};

export type Faults = {
	/** Limit the body to N bytes per second (per response). */
	throttleBps?: number;
	/**
	 * Destroy the socket once the body reaches these absolute file offsets. Each entry is used by one request (the
	 * first response that crosses it), in order, so `[100, 5000]` resets two transfers.
	 */
	resetAt?: number[];
	/** Stop sending (keep the socket open, send nothing more) once the body reaches this absolute offset; first request only. */
	stallAt?: number;
	/** Answer the next requests with these statuses in order (each used once), before serving normally. */
	statuses?: Array<{status: number; headers?: Record<string, string>; body?: string}>;
	/** Ignore Range headers: always 200 with the whole body. */
	ignoreRange?: boolean;
	/** Give a different ETag (and Last-Modified) on every request; content is unchanged unless `changeContentAfter`. */
	changeEtag?: boolean;
	/** Send this many fewer bytes than Content-Length says, then end the response (socket closed). Every request. */
	shortBy?: number;
	/** Omit Content-Length (chunked transfer encoding). */
	noContentLength?: boolean;
	/** Redirect (302) to this path or absolute URL instead of serving. */
	redirectTo?: string;
	/** Serve an HTML error page with status 200 and Content-Type text/html instead of the content. */
	html?: boolean;
	/** Content-Type to send (default application/octet-stream). */
	contentType?: string;
	/** Send no ETag/Last-Modified at all. */
	noValidators?: boolean;
	/** More headers on the normal answers (Content-Disposition, say). */
	headers?: Record<string, string>;
};

export type RequestRecord = {
	method: string;
	path: string;
	range: string | undefined;
	ifRange: string | undefined;
	userAgent: string | undefined;
	/** Date.now() when the request arrived. */
	time: number;
	status: number;
	/** Body bytes written for this request (updated while it runs). */
	bytesSent: number;
};

export type TestServer = {
	/** `http://127.0.0.1:<port>` */
	readonly origin: string;
	/** `origin + path` */
	url(path: string): string;
	/** Serve `content` at `path` (replacing what was there). Returns the content's sha256 hex (computed by streaming for generated content). */
	serve(path: string, content: Content, faults?: Faults): Promise<string>;
	/** Replace the faults of a path. */
	setFaults(path: string, faults: Faults): void;
	/** Every request, in arrival order. */
	readonly requests: RequestRecord[];
	requestsFor(path: string): RequestRecord[];
	/** Highest number of responses with a body in flight at once since start (or last resetStats). */
	readonly peakConcurrent: number;
	/** Number of responses in flight right now. */
	readonly active: number;
	resetStats(): void;
	close(): Promise<void>;
};

// ---------------------------------------------------------------------------------------------------------------------
// Generated content

const BLOCK = 64 * 1024;
const BLOCK_WORDS = BLOCK / 4;
const POOL = 1024 * 1024;
const POOL_WORDS = POOL / 4;
/** Bytes per write when not throttled. */
const CHUNK = 1024 * 1024;

function mix32(a: number, b: number): number {
	// Murmur3-style finaliser over two words.
	let h = Math.imul(a ^ 0x9e_37_79_b9, 0x85_eb_ca_6b) ^ b;
	h = Math.imul(h ^ (h >>> 16), 0x85_eb_ca_6b);
	h = Math.imul(h ^ (h >>> 13), 0xc2_b2_ae_35);
	h ^= h >>> 16;
	h = Math.imul(h ^ b ^ 0x27_d4_eb_2f, 0x16_56_67_b1);
	return (h ^ (h >>> 15)) >>> 0;
}

const pools = new Map<number, Uint32Array>();

/** 1 MiB of xorshift128 output for `seed`, plus one block repeated at the end so windows never wrap. */
function poolFor(seed: number): Uint32Array {
	let pool = pools.get(seed);
	if (pool) return pool;
	pool = new Uint32Array(POOL_WORDS + BLOCK_WORDS);
	let x = mix32(seed, 1) | 1;
	let y = mix32(seed, 2);
	let z = mix32(seed, 3);
	let w = mix32(seed, 4);
	for (let i = 0; i < POOL_WORDS; i++) {
		const t = x ^ (x << 11);
		x = y;
		y = z;
		z = w;
		w = (w ^ (w >>> 19) ^ t ^ (t >>> 8)) >>> 0;
		pool[i] = w;
	}

	pool.copyWithin(POOL_WORDS, 0, BLOCK_WORDS);
	pools.set(seed, pool);
	return pool;
}

class Generator {
	readonly pool: Uint32Array;
	/** The first `headBlocks` blocks with the magic stamped in (only when the file type has one). */
	readonly head: Buffer | undefined;
	readonly headBlocks: number;
	private readonly scratch = Buffer.allocUnsafe(BLOCK);

	constructor(
		readonly size: number,
		readonly seed: number,
		fileType: string | undefined,
	) {
		this.pool = poolFor(seed);
		this.headBlocks = 0;
		if (fileType) {
			const blocks = Math.ceil(bytesNeeded(fileType) / BLOCK);
			const head = Buffer.alloc(blocks * BLOCK);
			for (let i = 0; i < blocks; i++) this.rawBlock(i, head, i * BLOCK);
			// Stamp exactly as stampMagic would on the whole file (it only stamps when the file is long enough).
			stampMagic(head.subarray(0, Math.min(this.size, head.length)), fileType);
			this.head = head;
			this.headBlocks = blocks;
		}
	}

	/** Block `index` into `dest` at `at` (dest.byteOffset + at must be a multiple of 4, BLOCK bytes of room). */
	private rawBlock(index: number, dest: Buffer, at: number): void {
		const lo = index >>> 0;
		const hi = Math.floor(index / 0x1_00_00_00_00);
		const r = mix32(this.seed ^ hi, lo) % POOL_WORDS;
		const key = mix32(lo ^ 0x5b_d1_e9_95, this.seed + hi);
		const out = new Uint32Array(dest.buffer, dest.byteOffset + at, BLOCK_WORDS);
		const pool = this.pool;
		for (let j = 0; j < BLOCK_WORDS; j++) out[j] = pool[r + j]! ^ key;
	}

	private block(index: number, dest: Buffer, at: number): void {
		if (this.head && index < this.headBlocks) this.head.copy(dest, at, index * BLOCK, (index + 1) * BLOCK);
		else this.rawBlock(index, dest, at);
	}

	/** Fill `target` with the file's bytes starting at absolute `offset`. */
	fill(target: Buffer, offset: number): void {
		let pos = offset;
		let t = 0;
		while (t < target.length) {
			const index = Math.floor(pos / BLOCK);
			const inBlock = pos - index * BLOCK;
			const n = Math.min(BLOCK - inBlock, target.length - t);
			if (n === BLOCK && (target.byteOffset + t) % 4 === 0) {
				this.block(index, target, t);
			} else {
				this.block(index, this.scratch, 0);
				this.scratch.copy(target, t, inBlock, inBlock + n);
			}

			pos += n;
			t += n;
		}
	}
}

/** Generate the same bytes the server sends for `{kind: 'generated'}` content (for tests that need them in memory). */
export function generatedBytes(size: number, seed: number, fileType?: string): Buffer {
	const buf = Buffer.allocUnsafe(size);
	new Generator(size, seed, fileType).fill(buf, 0);
	return buf;
}

const shaCache = new Map<string, Promise<string>>();

async function generatedSha256(size: number, seed: number, fileType: string | undefined): Promise<string> {
	const key = `${size}:${seed}:${fileType ?? ''}`;
	let sha = shaCache.get(key);
	if (!sha) {
		sha = (async () => {
			const gen = new Generator(size, seed, fileType);
			const hash = createHash('sha256');
			const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
			let sinceYield = 0;
			for (let pos = 0; pos < size; pos += buf.length) {
				const piece = buf.subarray(0, Math.min(buf.length, size - pos));
				gen.fill(piece, pos);
				hash.update(piece);
				// Let in-flight requests progress while hashing a large file.
				if ((sinceYield += piece.length) >= 32 * CHUNK) {
					sinceYield = 0;
					await new Promise(resolve => setImmediate(resolve));
				}
			}

			return hash.digest('hex');
		})();
		shaCache.set(key, sha);
		sha.catch(() => shaCache.delete(key));
	}

	return sha;
}

// ---------------------------------------------------------------------------------------------------------------------
// Server

type Entry = {
	content: Content;
	size: number;
	sha256: string;
	etag: string;
	lastModified: Date;
	faults: Faults;
	/** Remaining reset offsets (a copy of faults.resetAt). */
	resets: number[];
	/** Remaining statuses (a copy of faults.statuses). */
	statuses: NonNullable<Faults['statuses']>;
	stallUsed: boolean;
	generator: Generator | undefined;
};

const HTML_PAGE =
	'<!DOCTYPE html>\n<html><head><title>Download unavailable</title></head>\n<body><h1>Sorry</h1><p>This mirror is under maintenance.</p></body></html>\n';

/** A fixed date validators are derived from (second precision, as HTTP dates are). */
const BASE_TIME = Date.UTC(2024, 0, 1);

type ResponseState = {
	aborted: boolean;
	closed: Promise<void>;
};

function parseRange(header: string, size: number): {start: number; end: number} | 'unsatisfiable' | undefined {
	const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
	if (!m) return undefined; // Unknown unit, multiple ranges or garbage: ignore the header (RFC 9110 §14.2).
	const [, a = '', b = ''] = m;
	if (a === '' && b === '') return undefined;
	if (a === '') {
		// Suffix range: the last N bytes.
		const n = Number(b);
		if (n === 0 || size === 0) return 'unsatisfiable';
		return {start: Math.max(0, size - n), end: size};
	}

	const start = Number(a);
	if (b !== '' && Number(b) < start) return undefined; // Invalid: ignored.
	if (start >= size) return 'unsatisfiable';
	const last = b === '' ? size - 1 : Number(b);
	return {start, end: Math.min(last, size - 1) + 1};
}

/** Start a server on 127.0.0.1 with an ephemeral port. */
export async function startTestServer(): Promise<TestServer> {
	const entries = new Map<string, Entry>();
	const requests: RequestRecord[] = [];
	const sockets = new Set<Socket>();
	let active = 0;
	let peak = 0;
	let requestCounter = 0;
	let closing: Promise<void> | undefined;

	const freeBuffers: Buffer[] = [];
	const takeBuffer = () => freeBuffers.pop() ?? Buffer.allocUnsafe(CHUNK);
	const giveBuffer = (buf: Buffer) => {
		if (freeBuffers.length < 8) freeBuffers.push(buf);
	};

	const server = http.createServer();
	// Longer than undici's default client keep-alive (4 s) so the client always closes idle sockets first; close()
	// destroys whatever is left.
	server.keepAliveTimeout = 30_000;
	server.headersTimeout = 60_000;
	server.requestTimeout = 0;
	server.on('connection', socket => {
		sockets.add(socket);
		socket.setNoDelay(true);
		socket.on('close', () => sockets.delete(socket));
	});

	server.on('request', (req, res) => {
		handle(req, res).catch(error => {
			// A bug in the server: make it loud in the test output, and do not leave the client hanging.
			console.error('test server error', error);
			res.destroy();
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const {port} = server.address() as AddressInfo;
	const origin = `http://127.0.0.1:${port}`;

	function header(req: http.IncomingMessage, name: string): string | undefined {
		const v = req.headers[name];
		return Array.isArray(v) ? v.join(', ') : v;
	}

	function send(res: http.ServerResponse, record: RequestRecord, status: number, headers: Record<string, string>, body: string, head: boolean): void {
		const data = Buffer.from(body);
		record.status = status;
		res.writeHead(status, {'Content-Length': String(data.length), ...headers});
		if (head) {
			res.end();
		} else {
			record.bytesSent = data.length;
			res.end(data);
		}
	}

	async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const method = req.method ?? 'GET';
		const path = (req.url ?? '/').split('?')[0] ?? '/';
		const record: RequestRecord = {
			method,
			path,
			range: header(req, 'range'),
			ifRange: header(req, 'if-range'),
			userAgent: header(req, 'user-agent'),
			time: Date.now(),
			status: 0,
			bytesSent: 0,
		};
		requests.push(record);
		const requestNumber = ++requestCounter;
		const head = method === 'HEAD';
		// Drain any request body so the connection stays usable.
		req.resume();

		const entry = entries.get(path);
		if (!entry) {
			send(res, record, 404, {'Content-Type': 'text/plain'}, 'not found\n', head);
			return;
		}

		if (method !== 'GET' && method !== 'HEAD') {
			send(res, record, 405, {'Content-Type': 'text/plain', Allow: 'GET, HEAD'}, 'method not allowed\n', head);
			return;
		}

		const faults = entry.faults;
		const canned = entry.statuses.shift();
		if (canned) {
			send(res, record, canned.status, {'Content-Type': 'text/plain', ...canned.headers}, canned.body ?? '', head);
			return;
		}

		if (faults.redirectTo !== undefined) {
			const location = new URL(faults.redirectTo, origin + path).href;
			send(res, record, 302, {Location: location, 'Content-Type': 'text/plain'}, '', head);
			return;
		}

		if (faults.html) {
			send(res, record, 200, {'Content-Type': 'text/html; charset=utf-8'}, HTML_PAGE, head);
			return;
		}

		const size = entry.size;
		let etag: string | undefined;
		let lastModified: string | undefined;
		if (!faults.noValidators) {
			if (faults.changeEtag) {
				etag = `"${entry.etag.slice(1, -1)}-${requestNumber}"`;
				lastModified = new Date(entry.lastModified.getTime() + requestNumber * 1000).toUTCString();
			} else {
				etag = entry.etag;
				lastModified = entry.lastModified.toUTCString();
			}
		}

		const headers: Record<string, string> = {'Content-Type': faults.contentType ?? 'application/octet-stream', ...faults.headers};
		if (!faults.ignoreRange) headers['Accept-Ranges'] = 'bytes';
		if (etag) headers.ETag = etag;
		if (lastModified) headers['Last-Modified'] = lastModified;

		let start = 0;
		let end = size;
		let status = 200;
		if (record.range !== undefined && !faults.ignoreRange) {
			const ifRange = record.ifRange?.trim();
			// If-Range: a strong ETag must match exactly, a date must equal Last-Modified; otherwise send the whole body.
			const rangeAllowed = ifRange === undefined || (ifRange !== '' && (ifRange === etag || ifRange === lastModified));
			if (rangeAllowed) {
				const range = parseRange(record.range, size);
				if (range === 'unsatisfiable') {
					record.status = 416;
					const h416: Record<string, string> = {'Content-Range': `bytes */${size}`, 'Content-Length': '0'};
					if (etag) h416.ETag = etag;
					if (lastModified) h416['Last-Modified'] = lastModified;
					res.writeHead(416, h416);
					res.end();
					return;
				}

				if (range) {
					({start, end} = range);
					status = 206;
					headers['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
				}
			}
		}

		if (!faults.noContentLength) headers['Content-Length'] = String(end - start);
		record.status = status;
		res.writeHead(status, headers);
		if (head) {
			res.end();
			return;
		}

		// In flight from here until the response closes (finished, reset, or the client went away).
		active++;
		if (active > peak) peak = active;
		const state: ResponseState = {
			aborted: false,
			closed: new Promise(resolve => {
				res.once('close', () => {
					state.aborted = true;
					active--;
					resolve();
				});
			}),
		};

		await sendBody(entry, res, record, state, start, end);
	}

	/** Resolves after `ms`, or early when the response closes. */
	function pause(ms: number, res: http.ServerResponse, state: ResponseState): Promise<void> {
		return new Promise(resolve => {
			if (state.aborted) {
				resolve();
				return;
			}

			const done = () => {
				clearTimeout(timer);
				res.off('close', done);
				resolve();
			};

			const timer = setTimeout(done, ms);
			res.once('close', done);
		});
	}

	/** Resolves on 'drain', or when the response closes. */
	function waitDrain(res: http.ServerResponse, state: ResponseState): Promise<void> {
		return new Promise(resolve => {
			if (state.aborted) {
				resolve();
				return;
			}

			const done = () => {
				res.off('drain', done);
				res.off('close', done);
				resolve();
			};

			res.once('drain', done);
			res.once('close', done);
		});
	}

	async function sendBody(entry: Entry, res: http.ServerResponse, record: RequestRecord, state: ResponseState, start: number, end: number): Promise<void> {
		const faults = entry.faults;
		const bps = faults.throttleBps && faults.throttleBps > 0 ? faults.throttleBps : undefined;
		// Throttled bodies go out in ~20 ms slices.
		const slice = bps ? Math.max(1, Math.min(CHUNK, Math.floor(bps / 50))) : CHUNK;
		const shortStop = faults.shortBy ? Math.max(start, end - faults.shortBy) : end;
		const t0 = performance.now();
		let pos = start;
		let lastWrite: Promise<void> = Promise.resolve();

		res.flushHeaders();

		const destroyAfterFlush = async () => {
			await Promise.race([lastWrite, state.closed]);
			// Let the header-only case reach the socket too.
			await new Promise(resolve => setImmediate(resolve));
			res.socket?.destroy();
		};

		while (!state.aborted) {
			// Faults that trigger on reaching an offset: the earliest pending reset this body crosses, the stall.
			let resetIndex = -1;
			for (let i = 0; i < entry.resets.length; i++) {
				const r = entry.resets[i]!;
				if (r >= pos && r < end && (resetIndex < 0 || r < entry.resets[resetIndex]!)) resetIndex = i;
			}

			const resetOffset = resetIndex >= 0 ? entry.resets[resetIndex]! : Infinity;
			const stallOffset = !entry.stallUsed && faults.stallAt !== undefined && faults.stallAt >= pos && faults.stallAt < end ? faults.stallAt : Infinity;
			if (pos === resetOffset && resetOffset <= stallOffset) {
				entry.resets.splice(resetIndex, 1);
				await destroyAfterFlush();
				return;
			}

			if (pos === stallOffset) {
				entry.stallUsed = true;
				await state.closed; // Hold the socket until the client goes away or close() destroys it.
				return;
			}

			if (pos >= shortStop) {
				if (shortStop < end) {
					await destroyAfterFlush();
				} else {
					res.end();
				}

				return;
			}

			// Next chunk: up to the next CHUNK boundary (keeps generation block-aligned), a fault offset or the end.
			let stop = Math.min(shortStop, resetOffset, stallOffset, Math.floor(pos / CHUNK) * CHUNK + CHUNK);
			if (bps) {
				const sent = pos - start;
				const elapsed = performance.now() - t0;
				const allowed = Math.floor((bps * elapsed) / 1000) + slice - sent;
				const want = Math.min(slice, stop - pos);
				if (allowed < want) {
					await pause(Math.max(1, ((sent + want - slice) * 1000) / bps - elapsed), res, state);
					continue;
				}

				stop = Math.min(stop, pos + want);
			}

			const n = stop - pos;
			let chunk: Buffer;
			let pooled: Buffer | undefined;
			if (entry.generator) {
				pooled = takeBuffer();
				chunk = pooled.subarray(0, n);
				entry.generator.fill(chunk, pos);
			} else {
				const data = (entry.content as {data: Buffer}).data;
				chunk = data.subarray(pos, stop);
			}

			pos = stop;
			record.bytesSent += n;
			const buffer = pooled;
			let ok = true;
			lastWrite = new Promise(resolve => {
				ok = res.write(chunk, () => {
					if (buffer) giveBuffer(buffer);
					resolve();
				});
			});
			if (!ok) await waitDrain(res, state);
		}
	}

	async function serve(path: string, content: Content, faults: Faults = {}): Promise<string> {
		let sha256: string;
		let size: number;
		let generator: Generator | undefined;
		if (content.kind === 'buffer') {
			size = content.data.length;
			sha256 = createHash('sha256').update(content.data).digest('hex');
		} else {
			if (!Number.isSafeInteger(content.size) || content.size < 0) throw new Error(`bad generated size ${content.size}`);
			size = content.size;
			generator = new Generator(size, content.seed, content.fileType);
			sha256 = await generatedSha256(size, content.seed, content.fileType);
		}

		const id = createHash('sha256').update(`${path}\0${sha256}`).digest();
		const entry: Entry = {
			content,
			size,
			sha256,
			etag: `"${id.toString('hex', 0, 12)}"`,
			lastModified: new Date(BASE_TIME + (id.readUInt32BE(12) % (365 * 86_400)) * 1000),
			faults,
			resets: [],
			statuses: [],
			stallUsed: false,
			generator,
		};
		applyFaults(entry, faults);
		entries.set(path, entry);
		return sha256;
	}

	function applyFaults(entry: Entry, faults: Faults): void {
		entry.faults = {...faults};
		entry.resets = [...(faults.resetAt ?? [])];
		entry.statuses = [...(faults.statuses ?? [])];
		entry.stallUsed = false;
	}

	return {
		origin,
		url: (path: string) => origin + path,
		serve,
		setFaults(path: string, faults: Faults) {
			const entry = entries.get(path);
			if (!entry) throw new Error(`setFaults: nothing served at ${path}`);
			applyFaults(entry, faults);
		},
		get requests() {
			return requests;
		},
		requestsFor: (path: string) => requests.filter(r => r.path === path),
		get peakConcurrent() {
			return peak;
		},
		get active() {
			return active;
		},
		resetStats() {
			requests.length = 0;
			peak = active;
		},
		close() {
			closing ??= new Promise<void>(resolve => {
				server.close(() => resolve());
				server.closeAllConnections();
				for (const socket of sockets) socket.destroy();
			});
			return closing;
		},
	};
}
