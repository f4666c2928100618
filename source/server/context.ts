/**
 * What every part of the HTTP server shares: the library it serves, the settings, the logger, the daemon's event
 * feed, and the shape of a pluggable request handler (the REST API, /ws and the web root plug in as one).
 *
 * The server itself (start-server.ts) owns what applies to every route, the handler's included: security
 * headers, CORS (`--cors-origin`), the header read timeout, the connection cap (503 beyond it), the access log
 * line, `/health`, and the path rules (a request whose path has `..`, `%2f`, `%5c`, NUL, a control character or
 * `//` is refused with 400 before any handler sees it).
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import type {Config} from '../config.js';
import type {Logger} from '../core/index.js';
import type {ServedLibrary} from './library.js';

/** One NDJSON event as the daemon prints it on stdout (`{"ts","level","event",…}`). */
export type DaemonEvent = {ts: string; level: string; event: string; [field: string]: unknown};

/** The daemon's events as they are printed (for Server-Sent Events and the like). */
export type EventFeed = {
	/** Calls `listener` with every event from now on; returns the function that stops it. */
	subscribe(listener: (event: DaemonEvent) => void): () => void;
};

export type ServerContext = {
	/** The library this process owns. */
	library: ServedLibrary;
	config: Config;
	log: Logger;
	/** isoman's version (for /health and the like). */
	version: string;
	events: EventFeed;
	/** How clients reach this server, e.g. `http://127.0.0.1:8080` (no trailing slash); known once listening. */
	baseUrl(): string;
	/** Adds fields to the access-log line this response will write when it ends (e.g. `{route: 'api.isos'}`). */
	noteAccess(res: ServerResponse, fields: Record<string, unknown>): void;
};

/**
 * A pluggable part of the server (the API: `/api/`, `/ws`, and `--web-root` at `/`). The server calls it for every
 * path it does not serve itself (`/health` and `/images/` are the server's), after the common headers are set.
 */
export type RequestHandler = {
	/**
	 * Answer the request and resolve true, or resolve false without touching `res` (the server then sends 404).
	 * `url` is the request's URL, already checked (no dot segments, no encoded separators); `url.pathname` is
	 * still percent-encoded. A thrown error becomes a 500 unless headers were already sent.
	 */
	handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
	/** Take an `Upgrade` request (WebSocket) and return true, or return false (the server answers 404). */
	upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	/** Fields added to the daemon's `listening` event (e.g. `token_file`). */
	listeningFields?(): Record<string, unknown>;
	/** Close long-lived responses and sockets (SSE, WebSockets); the server closes after this resolves. */
	close(): Promise<void>;
};

export type RequestHandlerFactory = (context: ServerContext) => RequestHandler;

/**
 * Sockets with nothing read or written for this long are closed (a client that stopped reading). A response that
 * is sending is never cut; a long-lived one (SSE, WebSocket) must send something more often than this, or call
 * `req.socket.setTimeout(0)`.
 */
export const IDLE_SOCKET_MS = 120_000;

/** Headers must arrive within this long of the connection (or of the previous response on a kept-alive one). */
export const HEADERS_TIMEOUT_MS = 10_000;

/** The policy of the pages the server itself makes: nothing from elsewhere, no script at all. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
