/**
 * ISOMan v0.3.4's Go client (pkg/client/client.go) as a TypeScript test double that sends what it sends: every
 * request has `Accept: application/json`, `Content-Type: application/json` only when there is a body, bodies are
 * `json.Marshal` of the request structs (`omitempty` fields left out), query strings are `url.Values.Encode()`
 * (keys sorted, only options that are set). Every answer is decoded the way `doJSON` does — the envelope into
 * `apiResponse`, then `data` into the call's struct with Go's types (go-types.ts) — and a `success: false` answer
 * becomes an `APIError` with the HTTP status, code, message and details. Requests go out over node:http, from
 * `localAddress` when given (any 127.x address reaches a server on 127.0.0.1; the server limits failures by
 * address), with the bearer token when given (the Go client takes one through its http.Client's transport).
 */
import http from 'node:http';
import {apiResponse, decodeGo, DownloadTrends, ISO, ListISOsResponse, Stats, type GoType} from './go-types.js';

export class APIError extends Error {
	constructor(
		readonly statusCode: number,
		readonly code: string,
		message: string,
		readonly details: string | undefined,
		readonly envelope: any,
	) {
		super(`${statusCode} ${code}: ${message}`);
	}
}

export type Sent = {method: string; path: string; headers: Record<string, string>; body: string | undefined};

export type GoClientOptions = {token?: string; localAddress?: string};

/** `url.Values{…}.Encode()`: keys sorted, values escaped. */
function encode(values: Record<string, string>): string {
	return Object.keys(values)
		.sort()
		.map(k => `${encodeURIComponent(k)}=${encodeURIComponent(values[k]!)}`)
		.join('&');
}

/** `json.Marshal(CreateISORequest)`: name, version, arch, download_url always; the `omitempty` ones only when not "". */
function createBody(request: Record<string, string | undefined>): Record<string, string> {
	const omitEmpty = new Set(['edition', 'checksum_url', 'checksum_type']);
	const out: Record<string, string> = {};
	for (const key of ['name', 'version', 'arch', 'edition', 'download_url', 'checksum_url', 'checksum_type']) {
		const value = request[key] ?? '';
		if (!(omitEmpty.has(key) && value === '')) out[key] = value;
	}

	return out;
}

export class GoClient {
	/** Every request sent, as it went on the wire. */
	readonly sent: Sent[] = [];

	constructor(
		readonly baseURL: string,
		readonly options: GoClientOptions = {},
	) {}

	/** client.go `do`: one request; resolves with the status, headers and the whole body. */
	async do(method: string, path: string, body?: string): Promise<{status: number; headers: http.IncomingHttpHeaders; body: Buffer}> {
		const headers: Record<string, string> = {accept: 'application/json', 'user-agent': 'Go-http-client/1.1'};
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
		if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
		this.sent.push({method, path, headers, body});
		const url = new URL(this.baseURL + path);
		return new Promise((resolve, reject) => {
			const req = http.request(
				{host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: this.options.localAddress, agent: false},
				res => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}));
					res.on('error', reject);
				},
			);
			req.on('error', reject);
			req.end(body);
		});
	}

	/** client.go `doJSON`: the envelope, then `data` into `type`; `success: false` throws an APIError. */
	async doJSON<T = any>(method: string, path: string, body: unknown, type: GoType | undefined): Promise<T> {
		const res = await this.do(method, path, body === undefined ? undefined : JSON.stringify(body));
		const envelope = JSON.parse(res.body.toString('utf8')) as any;
		decodeGo(envelope, apiResponse);
		if (!envelope.success) {
			throw new APIError(res.status, envelope.error?.code ?? '', envelope.error?.message ?? '', envelope.error?.details, envelope);
		}

		if (type && envelope.data !== undefined) decodeGo(envelope.data, type, '$.data');
		return envelope.data as T;
	}

	listISOs(opts?: {page?: number; pageSize?: number; sortBy?: string; sortDir?: string}) {
		let path = '/api/isos';
		if (opts) {
			const q: Record<string, string> = {};
			if ((opts.page ?? 0) > 0) q['page'] = String(opts.page);
			if ((opts.pageSize ?? 0) > 0) q['page_size'] = String(opts.pageSize);
			if (opts.sortBy) q['sort_by'] = opts.sortBy;
			if (opts.sortDir) q['sort_dir'] = opts.sortDir;
			const encoded = encode(q);
			if (encoded) path += `?${encoded}`;
		}

		return this.doJSON('GET', path, undefined, ListISOsResponse);
	}

	getISO(id: string) {
		return this.doJSON('GET', `/api/isos/${id}`, undefined, ISO);
	}

	createISO(request: {name: string; version: string; arch: string; edition?: string; download_url: string; checksum_url?: string; checksum_type?: string}) {
		return this.doJSON('POST', '/api/isos', createBody(request), ISO);
	}

	/** UpdateISORequest's fields are pointers with omitempty: a field given (even "") is sent, others are not. */
	updateISO(id: string, request: Partial<Record<'name' | 'version' | 'arch' | 'edition' | 'download_url' | 'checksum_url' | 'checksum_type', string>>) {
		return this.doJSON('PUT', `/api/isos/${id}`, Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)), ISO);
	}

	deleteISO(id: string) {
		return this.doJSON('DELETE', `/api/isos/${id}`, undefined, undefined);
	}

	retryISO(id: string) {
		return this.doJSON('POST', `/api/isos/${id}/retry`, undefined, ISO);
	}

	getStats() {
		return this.doJSON('GET', '/api/stats', undefined, Stats);
	}

	getDownloadTrends(opts?: {period?: string; days?: number}) {
		let path = '/api/stats/trends';
		if (opts) {
			const q: Record<string, string> = {};
			if (opts.period) q['period'] = opts.period;
			if ((opts.days ?? 0) > 0) q['days'] = String(opts.days);
			const encoded = encode(q);
			if (encoded) path += `?${encoded}`;
		}

		return this.doJSON('GET', path, undefined, DownloadTrends);
	}

	/** Health: the envelope only (data ignored). */
	health() {
		return this.doJSON('GET', '/health', undefined, undefined);
	}

	/** DownloadFile: `/images/<path>` with the same Accept header; anything but 200 is an APIError DOWNLOAD_FAILED. */
	async downloadFile(filePath: string): Promise<Buffer> {
		const path = `/images/${filePath.replace(/^\/+/, '')}`;
		const res = await this.do('GET', path);
		if (res.status !== 200) throw new APIError(res.status, 'DOWNLOAD_FAILED', `unexpected status ${res.status} for ${path}`, undefined, undefined);
		return res.body;
	}
}
