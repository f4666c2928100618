/**
 * The API on a real node:http server on 127.0.0.1 over an owner manager on a temp library (real SQLite, real
 * files), with the fault-injecting test server as the publisher. `call` sends one request and parses the envelope.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {createApi, type Api, type ApiContext} from '../../../source/server/api/index.js';
import {createLogger} from '../../../source/core/log.js';
import {startHarness, type Harness} from '../../support/harness.js';

export type ApiHarness = Harness & {
	api: Api;
	origin: string;
	token: string;
	call(method: string, path: string, options?: {body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string>}): Promise<Reply>;
};

export type Reply = {status: number; headers: Headers; json: any; text: string};

export async function startApi(options: Partial<Pick<ApiContext, 'auth' | 'apiToken' | 'webRoot' | 'limiter'>> & {settings?: Record<string, unknown>} = {}): Promise<ApiHarness> {
	const h = await startHarness(options.settings);
	const token = options.apiToken ?? 'test-token-0123456789abcdef';
	const api = createApi({
		manager: h.manager,
		log: createLogger({level: 'debug', sink: h.logs}),
		dataDir: h.lib.config.dataDir,
		imagesDir: h.lib.config.imagesDir,
		auth: options.auth,
		apiToken: options.auth === 'none' ? undefined : token,
		webRoot: options.webRoot,
		limiter: options.limiter,
	});
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://localhost');
		void api.handle(req, res, url).then(handled => {
			if (!handled && !res.headersSent) {
				res.writeHead(404, {'Content-Type': 'text/plain'});
				res.end('not the api\n');
			}
		});
	});
	server.on('upgrade', (req, socket, head) => {
		if (!api.upgrade(req, socket, head)) socket.destroy();
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	h.manager.start();
	const close = h.close.bind(h);
	return {
		...h,
		api,
		origin,
		token,
		async call(method, path, o = {}) {
			const headers: Record<string, string> = {...o.headers};
			const bearer = o.token === undefined ? token : o.token;
			if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
			let body: string | undefined = o.raw;
			if (o.body !== undefined) {
				body = JSON.stringify(o.body);
				headers['content-type'] ??= 'application/json';
			}

			const res = await fetch(origin + path, {method, headers, body});
			const text = await res.text();
			let json: unknown;
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}

			return {status: res.status, headers: res.headers, json, text};
		},
		async close() {
			await api.close();
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
			await close();
		},
	};
}
