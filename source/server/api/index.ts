/**
 * The ISOMan-compatible REST API (`/api/…`), its live streams (`/api/events` SSE, `/ws` WebSocket) and the
 * optional static web app (`--web-root`), for the daemon's HTTP server. `handle` answers a request that is
 * its own and returns false for anything else; `upgrade` takes WebSocket upgrades to `/ws`.
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import type {Library, Logger} from '../../core/index.js';
import type {EventFeed, RequestHandler, ServerContext} from '../context.js';
import {createGuard, type AuthMode, type FailureLimiter, type Guard} from './auth.js';
import {ApiError, sendError} from './envelope.js';
import {EventStream, managerFeed} from './events-stream.js';
import {routeIsos} from './routes.js';
import {WebRoot} from './web-root.js';
import {ProgressSocket} from './websocket.js';

export type ApiContext = {
	manager: Library;
	/** The daemon's NDJSON events (for /api/events); without it the API makes them from the manager itself. */
	events?: EventFeed;
	log: Logger;
	dataDir: string;
	imagesDir: string;
	auth?: AuthMode;
	/** The token; when unset, `<dataDir>/api-token` is read or created. */
	apiToken?: string;
	webRoot?: string;
	/** Failed-authentication limiter (default: 10 failures a minute per address, then 429 for a minute). */
	limiter?: FailureLimiter;
};

export type Api = {
	handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
	upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	/** Where the token lives, for the `listening` event (undefined with --auth none or a token from a flag). */
	tokenFile: string | undefined;
	authMode: AuthMode;
	close(): Promise<void>;
};

/** Paths the daemon's own server answers (never the web app's index.html). */
const SERVER_PATHS = /^\/(images(\/|$)|health$)/;

export function createApi(ctx: ApiContext): Api {
	const guard: Guard = createGuard({mode: ctx.auth ?? 'changes', token: ctx.apiToken, dataDir: ctx.dataDir, limiter: ctx.limiter});
	const events = new EventStream(ctx.events ?? managerFeed(ctx.manager));
	const socket = new ProgressSocket(ctx.manager);
	const webRoot = ctx.webRoot ? new WebRoot(ctx.webRoot) : undefined;

	const fail = (res: ServerResponse, error: unknown) => {
		if (res.headersSent) {
			res.destroy();
			return;
		}

		if (error instanceof ApiError) {
			sendError(res, error);
			return;
		}

		ctx.log.error('api.internal_error', {error});
		sendError(res, new ApiError('INTERNAL_ERROR', 'internal error; the daemon log has the details'));
	};

	return {
		tokenFile: guard.tokenFile,
		authMode: guard.mode,
		async handle(req, res, url) {
			const {pathname} = url;
			if (pathname === '/api' || pathname.startsWith('/api/')) {
				try {
					const change = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
					guard.check(req, change);
					if (pathname === '/api/events') {
						if (req.method !== 'GET') throw new ApiError('NOT_FOUND', `no route ${req.method} /api/events (GET streams the events)`);
						events.open(req, res);
						return true;
					}

					await routeIsos(ctx, req, res, url);
				} catch (error) {
					fail(res, error);
				}

				return true;
			}

			if (!webRoot || SERVER_PATHS.test(pathname) || pathname === '/ws') return false;
			if (req.method !== 'GET' && req.method !== 'HEAD') return false;
			return webRoot.serve(req, res, pathname);
		},
		upgrade(req, duplex, head) {
			const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
			if (pathname !== '/ws') return false;
			try {
				guard.check(req, false);
			} catch (error) {
				const status = error instanceof ApiError ? error.status : 500;
				const reason = status === 429 ? 'Too Many Requests' : status === 401 ? 'Unauthorized' : 'Internal Server Error';
				duplex.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
				return true;
			}

			socket.accept(req, duplex, head);
			return true;
		},
		async close() {
			events.close();
			await socket.close();
		},
	};
}

/** The API as the daemon's server plugs it in (`startServer(…, {handler: createApiHandler})`). */
export function createApiHandler(context: ServerContext): RequestHandler {
	const {config} = context;
	const api = createApi({
		manager: context.library,
		events: context.events,
		log: context.log,
		dataDir: config.dataDir,
		imagesDir: config.imagesDir,
		auth: config.auth,
		apiToken: config.apiToken,
		webRoot: config.webRoot,
	});
	if (api.authMode === 'none') {
		context.log.warn('api.auth_none', {message: 'the HTTP API takes changes from anyone who can reach it (--auth none)'});
	}

	return {
		async handle(req, res, url) {
			const handled = await api.handle(req, res, url);
			if (handled && url.pathname.startsWith('/api/')) context.noteAccess(res, {route: 'api'});
			return handled;
		},
		upgrade: (req, socket, head) => api.upgrade(req, socket, head),
		listeningFields: () => ({
			auth: api.authMode,
			token_file: api.tokenFile ?? null,
			...(api.authMode === 'none' ? {warning: 'the HTTP API takes changes from anyone who can reach it (--auth none): use it on a trusted network only'} : {}),
		}),
		close: async () => api.close(),
	};
}
