/**
 * The one HTTP client of the engine: a keep-alive undici Agent composed with the redirect interceptor
 * (redirects followed, ≤10; `User-Agent: isoman/<version>`). Per-host limits are the manager's job.
 */
import {Agent, interceptors, request as undiciRequest, type Dispatcher} from 'undici';
import {TransferError} from './errors.js';

export type HttpClientOptions = {
	userAgent: string;
	connectTimeoutMs?: number;
	headersTimeoutMs?: number;
	/** undici's own idle-body timeout; the transfer's stall watchdog is usually the shorter one. */
	bodyTimeoutMs?: number;
	/** Redirects followed per request (default 10). One more is a `too_many_redirects` TransferError. */
	maxRedirects?: number;
};

export type HttpRequestOptions = {
	method?: 'GET' | 'HEAD';
	headers?: Record<string, string>;
	signal?: AbortSignal;
};

export type HttpResponse = {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: Dispatcher.ResponseData['body'];
	/** The URL that produced this response, after redirects. */
	url: string;
	/** How many redirects were followed to get here. */
	redirects: number;
};

export type HttpClient = {
	readonly userAgent: string;
	readonly maxRedirects: number;
	/**
	 * Sends a request and resolves with the response head once it arrives; the caller must consume or destroy the
	 * body. Rejects with TransferError('too_many_redirects') past the redirect limit or on a redirect loop; other
	 * failures are undici's errors (or the signal's reason on abort).
	 */
	request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
	close(): Promise<void>;
};

const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

/** The value of a response header as one string (the first when repeated). */
export function header(headers: HttpResponse['headers'], name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** Drops a response body we will not read (closing its connection) without an unhandled 'error' event. */
export function discardBody(body: HttpResponse['body']): void {
	body.on('error', () => {});
	body.destroy();
}

/**
 * `url` without its user info, and the `Authorization: Basic` header that carries it (RFC 7617): undici ignores
 * credentials in a URL. The redirect interceptor drops the header when a redirect leaves the origin.
 */
export function credentialsOf(url: string): {url: string; authorization?: string} {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return {url};
	}

	if (parsed.username === '' && parsed.password === '') return {url};
	const decode = (s: string) => {
		try {
			return decodeURIComponent(s);
		} catch {
			return s;
		}
	};

	const authorization = `Basic ${Buffer.from(`${decode(parsed.username)}:${decode(parsed.password)}`).toString('base64')}`;
	parsed.username = '';
	parsed.password = '';
	return {url: parsed.href, authorization};
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
	const maxRedirects = options.maxRedirects ?? 10;
	const agent = new Agent({
		keepAliveTimeout: 10_000,
		...(options.connectTimeoutMs === undefined ? {} : {connect: {timeout: options.connectTimeoutMs}}),
		...(options.headersTimeoutMs === undefined ? {} : {headersTimeout: options.headersTimeoutMs}),
		...(options.bodyTimeoutMs === undefined ? {} : {bodyTimeout: options.bodyTimeoutMs}),
	});
	const dispatcher = maxRedirects > 0 ? agent.compose(interceptors.redirect({maxRedirections: maxRedirects})) : agent;

	async function request(url: string, requestOptions: HttpRequestOptions = {}): Promise<HttpResponse> {
		let data: Dispatcher.ResponseData;
		const {url: target, authorization} = credentialsOf(url);
		try {
			data = await undiciRequest(target, {
				dispatcher,
				method: requestOptions.method ?? 'GET',
				// identity: the bytes of the file as it is (a re-encoded body could be neither resumed nor verified).
				headers: {'accept-encoding': 'identity', ...requestOptions.headers, 'user-agent': options.userAgent, ...(authorization ? {authorization} : {})},
				signal: requestOptions.signal,
			});
		} catch (error) {
			if (error instanceof Error && error.name === 'InvalidArgumentError' && /redirect loop/i.test(error.message)) {
				throw new TransferError('too_many_redirects', `redirect loop while fetching ${url}`, {cause: error});
			}

			if (error instanceof Error && error.name === 'InvalidArgumentError' && /protocol/i.test(error.message)) {
				// A redirect to file:, ftp:, data: …: the server's answer, final (retrying cannot change it).
				throw new TransferError('http_status', `refusing a redirect from ${url}: it leads to a URL that is not http or https (${error.message})`, {cause: error});
			}

			throw error;
		}

		// The redirect interceptor records every URL it requested (the last is the one that answered).
		const history = (data.context as {history?: unknown} | undefined)?.history;
		const visited = Array.isArray(history) ? history.map(String) : [];
		const finalUrl = visited.at(-1) ?? url;
		const redirects = Math.max(0, visited.length - 1);
		const location = header(data.headers, 'location');
		if (REDIRECT_STATUSES.has(data.statusCode) && location) {
			// The interceptor hands a redirect back only when the limit is reached.
			discardBody(data.body);
			throw new TransferError(
				'too_many_redirects',
				`too many redirects (more than ${maxRedirects}) fetching ${url}; the last went from ${finalUrl} to ${location}`,
			);
		}

		return {statusCode: data.statusCode, headers: data.headers, body: data.body, url: finalUrl, redirects};
	}

	return {
		userAgent: options.userAgent,
		maxRedirects,
		request,
		async close() {
			await agent.close();
		},
	};
}
