/**
 * The HTTP front end of the daemon (`--listen`), on node:http: `/health`, `/images/` (files and index pages), and
 * whatever a pluggable handler serves (the REST API, /ws, a web root). This module owns what applies to every
 * route: the path check, security headers, CORS, timeouts, the connection cap (503 beyond it) and the access log.
 */
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import os from 'node:os';
import type {Duplex} from 'node:stream';
import type {Config, ListenAddress} from '../config.js';
import type {Logger} from '../core/index.js';
import {VERSION} from '../version.js';
import {HEADERS_TIMEOUT_MS, IDLE_SOCKET_MS, type EventFeed, type RequestHandler, type RequestHandlerFactory, type ServerContext} from './context.js';
import {createImageRoutes} from './images/routes.js';
import type {ServedLibrary} from './library.js';
import {isPathProblem, parseRequestPath} from './request-path.js';
import {applyCors, rawResponse, redirect, sendError, sendJson, setCommonHeaders} from './responses.js';

export type ServerOptions = {
	config: Config;
	log: Logger;
	/** Where to listen (default: `config.listen`). */
	listen?: ListenAddress;
	/** The daemon's events (default: none). */
	events?: EventFeed;
	/** The REST API, /ws and the web root, plugged in. */
	handler?: RequestHandlerFactory;
};

export type RunningServer = {
	/** The address bound (e.g. `127.0.0.1`, `::`). */
	address: string;
	port: number;
	/** How clients reach it, without a trailing slash: `http://127.0.0.1:8080`. */
	url: string;
	/** What the plugged-in handler adds to the `listening` event. */
	listeningFields: Record<string, unknown>;
	/** Stop listening, end every connection, write the last download counts. Idempotent. */
	close(): Promise<void>;
};

const noEvents: EventFeed = {subscribe: () => () => {}};

/** `http://host:port` as a person would type it; a wildcard address shows this machine's name. */
export function serverUrl(address: string, port: number): string {
	const host = address === '0.0.0.0' || address === '::' ? os.hostname() : address;
	return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

type Access = {started: number; bytesBefore: number; notes: Record<string, unknown>};

export async function startServer(library: ServedLibrary, options: ServerOptions): Promise<RunningServer> {
	const {config, log} = options;
	const listen = options.listen ?? config.listen;
	if (!listen) throw new Error('startServer: no address to listen on (--listen)');
	const accessLog = log.child({component: 'http'});
	const access = new WeakMap<ServerResponse, Access>();
	let base = '';
	const context: ServerContext = {
		library,
		config,
		log,
		version: VERSION,
		events: options.events ?? noEvents,
		baseUrl: () => base,
		noteAccess(res, fields) {
			const entry = access.get(res);
			if (entry) Object.assign(entry.notes, fields);
		},
	};
	const images = createImageRoutes(context);
	const handler: RequestHandler | undefined = options.handler?.(context);

	const server = http.createServer({
		headersTimeout: HEADERS_TIMEOUT_MS,
		// The whole request (headers and a body: the API takes at most 64 KiB) within 30 s; responses are not limited.
		requestTimeout: 30_000,
		keepAliveTimeout: 5_000,
		// How often node checks the two limits above (its default, 30 s, would let a header wait last 40 s).
		connectionsCheckingInterval: 1_000,
		maxHeaderSize: 16 * 1024,
		noDelay: true,
	});
	server.timeout = IDLE_SOCKET_MS;

	// The connection cap: every socket past it gets one 503 and is closed (clients see why, not a reset).
	const sockets = new Set<Socket>();
	const overCap = new WeakSet<Socket>();
	server.on('connection', (socket: Socket) => {
		if (sockets.size >= config.maxConnections) overCap.add(socket);
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});

	const writeAccess = (req: IncomingMessage, res: ServerResponse) => {
		const entry = access.get(res);
		if (!entry) return;
		access.delete(res);
		accessLog.info('http.access', {
			method: req.method,
			path: (req.url ?? '').slice(0, 2048),
			status: res.statusCode,
			bytes: Math.max(0, req.socket.bytesWritten - entry.bytesBefore),
			ms: Math.round(performance.now() - entry.started),
			client: req.socket.remoteAddress,
			...(res.writableFinished ? {} : {aborted: true}),
			...entry.notes,
		});
	};

	const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		setCommonHeaders(res);
		if (overCap.has(req.socket)) {
			sendError(res, 503, 'SERVICE_UNAVAILABLE', `too many connections (the limit is ${config.maxConnections}); try again shortly`, {
				'Retry-After': '5',
				Connection: 'close',
			});
			return;
		}

		if (applyCors(req, res, config.corsOrigin)) return;
		const target = parseRequestPath(req.url);
		if (isPathProblem(target)) {
			sendError(res, 400, 'BAD_REQUEST', target.problem);
			return;
		}

		const [first] = target.segments;
		if (first === 'health' && target.segments.length === 1) {
			if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res);
			sendJson(res, 200, {success: true, data: {status: 'ok', time: new Date().toISOString(), version: VERSION}});
			return;
		}

		if (first === 'images') {
			if (target.segments.length === 1) {
				redirect(res, `/images/${target.search}`);
				return;
			}

			if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res);
			await images.handle(req, res, target);
			return;
		}

		if (handler && (await handler.handle(req, res, new URL(target.raw + target.search, 'http://isoman.invalid')))) return;
		sendError(res, 404, 'NOT_FOUND', 'nothing is served at this path');
	};

	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		access.set(res, {started: performance.now(), bytesBefore: req.socket.bytesWritten, notes: {}});
		res.once('close', () => writeAccess(req, res));
		route(req, res).catch((error: unknown) => {
			log.error('http.failed', {path: (req.url ?? '').slice(0, 2048), error});
			sendError(res, 500, 'INTERNAL_ERROR', 'internal error (see the daemon log)');
		});
	});

	server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		const refuse = (status: number, reason: string, message: string) => {
			socket.end(rawResponse(status, reason, message));
			accessLog.info('http.access', {method: req.method, path: (req.url ?? '').slice(0, 2048), status, upgrade: true, client: req.socket.remoteAddress});
		};

		if (overCap.has(req.socket)) return refuse(503, 'Service Unavailable', `too many connections (the limit is ${config.maxConnections})`);
		const target = parseRequestPath(req.url);
		if (isPathProblem(target)) return refuse(400, 'Bad Request', target.problem);
		socket.on('error', () => {});
		if (handler?.upgrade(req, socket, head)) {
			accessLog.info('http.access', {method: req.method, path: (req.url ?? '').slice(0, 2048), status: 101, upgrade: true, client: req.socket.remoteAddress});
			return;
		}

		refuse(404, 'Not Found', 'nothing is served at this path');
	});

	server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
		// Malformed requests, header timeouts, oversized headers: answer if the socket is still usable, then close.
		if (!socket.writable || (socket as Socket).bytesWritten > 0) {
			socket.destroy();
			return;
		}

		const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
		const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
		const status = timeout ? 408 : tooLarge ? 431 : 400;
		const reason = timeout ? 'Request Timeout' : tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
		const body = JSON.stringify({success: false, error: {code: 'BAD_REQUEST', message: timeout ? 'the request took too long to arrive' : 'malformed HTTP request'}});
		socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`);
		accessLog.info('http.client_error', {status, code: error.code, client: (socket as Socket).remoteAddress});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen({host: listen.host, port: listen.port}, () => {
			server.off('error', reject);
			resolve();
		});
	});
	server.on('error', error => log.error('http.server_error', {error}));
	const bound = server.address() as AddressInfo;
	base = serverUrl(bound.address, bound.port);
	log.info('http.listening', {address: bound.address, port: bound.port, url: base});

	let closing: Promise<void> | undefined;
	return {
		address: bound.address,
		port: bound.port,
		url: base,
		listeningFields: handler?.listeningFields?.() ?? {},
		async close() {
			closing ??= (async () => {
				const closed = new Promise<void>(resolve => server.close(() => resolve()));
				await handler?.close().catch((error: unknown) => log.warn('http.handler_close_failed', {error}));
				server.closeAllConnections();
				for (const socket of sockets) socket.destroy();
				await closed;
				await images.close();
			})();
			return closing;
		},
	};
}

function methodNotAllowed(res: ServerResponse): void {
	sendError(res, 405, 'METHOD_NOT_ALLOWED', 'only GET and HEAD are allowed here', {Allow: 'GET, HEAD'});
}
