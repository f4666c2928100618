/**
 * The one HTTP client of the engine: a keep-alive undici Agent composed with the redirect interceptor
 * (redirects followed, ≤10; `User-Agent: isoman/<version>`). Per-host limits are the manager's job.
 *
 * `request` answers undici's body stream (checksum files, probes, pages). `stream`, the download's, hands each
 * body chunk from undici's parser straight to a callback (a dispatch handler; no Readable, no async iterator),
 * and pauses the parser while the callback waits (bench/README.md, "Where the CPU goes").
 */
import {Agent, interceptors, request as undiciRequest, type Dispatcher} from 'undici';
import {TransferError} from './errors.js';
import {largeReadConnector} from './large-reads.js';

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

/**
 * Takes one body chunk (a view of undici's socket read: keep it or copy it, never write into it). Returns nothing or
 * true to go on, false to stop reading (the rest is dropped with the connection), or a promise of either: nothing
 * more is delivered until it settles, and a rejection ends the body with that error. A throw is a rejection.
 */
export type BodySink = (chunk: Buffer) => boolean | void | Promise<boolean | void>;

/** A response body read straight from undici's parser (`HttpClient.stream`). */
export type DirectBody = {
	/**
	 * Delivers the body to `sink`, chunk by chunk, in order. Resolves at its end (or when `sink` says stop); rejects
	 * with the network's error (undici's, or the signal's reason on abort) or with the sink's. Once only.
	 */
	consume(sink: BodySink): Promise<void>;
	/** Drops the body and closes its connection (nothing happens when it has already ended). Any number of times. */
	discard(): void;
};

export type HttpStreamResponse = Omit<HttpResponse, 'body'> & {body: DirectBody};

export type HttpClient = {
	readonly userAgent: string;
	readonly maxRedirects: number;
	/**
	 * Sends a request and resolves with the response head once it arrives; the caller must consume or destroy the
	 * body. Rejects with TransferError('too_many_redirects') past the redirect limit or on a redirect loop; other
	 * failures are undici's errors (or the signal's reason on abort).
	 */
	request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
	/**
	 * The same request (headers, redirects, errors), with the body read without a stream (the download's path): the
	 * parser is paused until `body.consume` is called; the caller must consume or discard it.
	 */
	stream(url: string, options?: HttpRequestOptions): Promise<HttpStreamResponse>;
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
		// Plain-HTTP sockets read up to 1 MiB at a time instead of 64 KiB (large-reads.ts); TLS as undici does.
		connect: largeReadConnector(options.connectTimeoutMs === undefined ? {} : {timeout: options.connectTimeoutMs}),
		...(options.headersTimeoutMs === undefined ? {} : {headersTimeout: options.headersTimeoutMs}),
		...(options.bodyTimeoutMs === undefined ? {} : {bodyTimeout: options.bodyTimeoutMs}),
	});
	const dispatcher = maxRedirects > 0 ? agent.compose(interceptors.redirect({maxRedirections: maxRedirects})) : agent;

	const requestHeaders = (requestOptions: HttpRequestOptions, authorization: string | undefined): Record<string, string> => ({
		// identity: the bytes of the file as it is (a re-encoded body could be neither resumed nor verified).
		'accept-encoding': 'identity',
		...requestOptions.headers,
		'user-agent': options.userAgent,
		...(authorization ? {authorization} : {}),
	});

	/** undici's failure of a request, as the client reports it (a redirect loop or a non-HTTP redirect is final). */
	function requestError(error: unknown, url: string): unknown {
		if (error instanceof Error && error.name === 'InvalidArgumentError' && /redirect loop/i.test(error.message)) {
			return new TransferError('too_many_redirects', `redirect loop while fetching ${url}`, {cause: error});
		}

		if (error instanceof Error && error.name === 'InvalidArgumentError' && /protocol/i.test(error.message)) {
			// A redirect to file:, ftp:, data: …: the server's answer, final (retrying cannot change it).
			return new TransferError('http_status', `refusing a redirect from ${url}: it leads to a URL that is not http or https (${error.message})`, {cause: error});
		}

		return error;
	}

	/** Where the response came from, from the redirect interceptor's history; throws past the redirect limit. */
	function answered(url: string, history: unknown, statusCode: number, headers: HttpResponse['headers'], drop: () => void): {url: string; redirects: number} {
		// The redirect interceptor records every URL it requested (the last is the one that answered).
		const visited = Array.isArray(history) ? history.map(String) : [];
		const finalUrl = visited.at(-1) ?? url;
		const redirects = Math.max(0, visited.length - 1);
		const location = header(headers, 'location');
		if (REDIRECT_STATUSES.has(statusCode) && location) {
			// The interceptor hands a redirect back only when the limit is reached.
			drop();
			throw new TransferError(
				'too_many_redirects',
				`too many redirects (more than ${maxRedirects}) fetching ${url}; the last went from ${finalUrl} to ${location}`,
			);
		}

		return {url: finalUrl, redirects};
	}

	async function request(url: string, requestOptions: HttpRequestOptions = {}): Promise<HttpResponse> {
		let data: Dispatcher.ResponseData;
		const {url: target, authorization} = credentialsOf(url);
		try {
			data = await undiciRequest(target, {
				dispatcher,
				method: requestOptions.method ?? 'GET',
				headers: requestHeaders(requestOptions, authorization),
				signal: requestOptions.signal,
			});
		} catch (error) {
			throw requestError(error, url);
		}

		const history = (data.context as {history?: unknown} | undefined)?.history;
		const from = answered(url, history, data.statusCode, data.headers, () => discardBody(data.body));
		return {statusCode: data.statusCode, headers: data.headers, body: data.body, ...from};
	}

	async function stream(url: string, requestOptions: HttpRequestOptions = {}): Promise<HttpStreamResponse> {
		const {url: target, authorization} = credentialsOf(url);
		const handler = new DirectHandler(requestOptions.signal);
		try {
			// undici's request() checks the URL the same way (parseURL) before it dispatches.
			const parsed = new URL(target);
			if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
				throw Object.assign(new Error('Invalid URL protocol: the URL must start with `http:` or `https:`.'), {name: 'InvalidArgumentError'});
			}

			dispatcher.dispatch(
				{
					origin: parsed.origin,
					path: `${parsed.pathname}${parsed.search}`,
					method: requestOptions.method ?? 'GET',
					headers: requestHeaders(requestOptions, authorization),
				},
				handler,
			);
			const head = await handler.head;
			const from = answered(url, handler.history, head.statusCode, head.headers, () => handler.discard());
			return {statusCode: head.statusCode, headers: head.headers, body: handler, ...from};
		} catch (error) {
			handler.discard();
			throw requestError(error, url);
		}
	}

	return {
		userAgent: options.userAgent,
		maxRedirects,
		request,
		stream,
		async close() {
			await agent.close();
		},
	};
}

/**
 * Chunks waiting for the sink before the parser is paused. While a sink's promise is pending, the chunks undici
 * has already parsed wait here; beyond this the parser stops (and with it the socket reads: TCP backpressure).
 */
const QUEUE_BYTES = 256 * 1024;

function asError(reason: unknown): Error {
	return reason instanceof Error ? reason : new Error(String(reason));
}

type Head = {statusCode: number; headers: HttpResponse['headers']};

/** undici dispatch handler of one streamed request: the head as a promise, the body to a sink (DirectBody). */
class DirectHandler implements Dispatcher.DispatchHandler, DirectBody {
	readonly head: Promise<Head>;
	history: unknown;
	private resolveHead!: (head: Head) => void;
	private rejectHead!: (error: unknown) => void;
	private headDone = false;
	private controller: Dispatcher.DispatchController | undefined;
	private sink: BodySink | undefined;
	private resolveBody: (() => void) | undefined;
	private rejectBody: ((error: unknown) => void) | undefined;
	private readonly queue: Buffer[] = [];
	private queued = 0;
	/** A sink's promise is pending: nothing is delivered meanwhile. */
	private waiting = false;
	private ended = false;
	/** The network's error that ended the body: reported once the chunks that arrived before it are delivered. */
	private endError: {error: unknown} | undefined;
	/** The network's (or the signal's) error, waiting for the sink to settle. */
	private failure: {error: unknown} | undefined;
	/** Consumed to the end, stopped, failed or discarded: nothing more happens. */
	private finished = false;
	private readonly signal: AbortSignal | undefined;
	private readonly onAbort = (): void => this.abort(this.signal!.reason);

	constructor(signal: AbortSignal | undefined) {
		this.head = new Promise<Head>((resolve, reject) => {
			this.resolveHead = resolve;
			this.rejectHead = reject;
		});
		this.head.catch(() => undefined);
		this.signal = signal;
		if (signal?.aborted) {
			this.fail(signal.reason);
		} else signal?.addEventListener('abort', this.onAbort, {once: true});
	}

	// ---- undici's side

	onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
		this.controller = controller;
		this.history = (context as {history?: unknown} | undefined)?.history;
		if (this.finished) controller.abort(asError(this.failure?.error ?? 'the request was dropped before it started'));
	}

	onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: HttpResponse['headers']): void {
		this.controller = controller;
		// Nothing is read until the caller decides what to do with the body.
		controller.pause();
		this.headDone = true;
		this.resolveHead({statusCode, headers});
	}

	onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
		if (this.finished) return;
		if (!this.sink || this.waiting || this.queue.length > 0) {
			this.queue.push(chunk);
			this.queued += chunk.length;
			if (this.queued >= QUEUE_BYTES) controller.pause();
			return;
		}

		this.deliver(chunk);
	}

	onResponseEnd(): void {
		if (this.finished || this.failure) return;
		this.ended = true;
		if (this.sink && !this.waiting && this.queue.length === 0) this.finish();
	}

	onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
		if (this.finished || this.failure) return;
		if (!this.headDone) {
			this.fail(error);
			return;
		}

		// Like the end of the body: what arrived before the error is still delivered (a resume starts after it).
		this.ended = true;
		this.endError = {error};
		if (this.sink && !this.waiting && this.queue.length === 0) this.fail(error);
	}

	// ---- the caller's side (DirectBody)

	async consume(sink: BodySink): Promise<void> {
		if (this.sink) throw new Error('the body is already being consumed');
		this.sink = sink;
		const done = new Promise<void>((resolve, reject) => {
			this.resolveBody = resolve;
			this.rejectBody = reject;
		});
		if (this.finished) {
			this.settle();
		} else {
			this.pump();
		}

		return done;
	}

	discard(): void {
		this.abort(new Error('the response body was discarded'));
	}

	// ---- inside

	private abort(reason: unknown): void {
		if (this.finished) return;
		this.fail(reason);
		this.controller?.abort(asError(reason));
	}

	/** Delivers queued chunks while the sink answers at once; resumes the parser when the queue is empty. */
	private pump(): void {
		while (!this.finished && !this.waiting && !this.failure && this.queue.length > 0) {
			const chunk = this.queue.shift()!;
			this.queued -= chunk.length;
			this.deliver(chunk);
		}

		if (this.finished || this.waiting) return;
		if (this.failure) {
			this.settle();
		} else if (this.endError) {
			this.fail(this.endError.error);
		} else if (this.ended) {
			this.finish();
		} else if (this.controller?.paused) {
			this.controller.resume();
		}
	}

	private deliver(chunk: Buffer): void {
		let answer: ReturnType<BodySink>;
		try {
			answer = this.sink!(chunk);
		} catch (error) {
			this.abort(error);
			return;
		}

		if (answer === false) {
			this.stop();
			return;
		}

		if (answer === undefined || answer === true) return;
		this.waiting = true;
		answer.then(
			going => {
				this.waiting = false;
				if (going === false) this.stop();
				else this.pump();
			},
			(error: unknown) => {
				this.waiting = false;
				// The sink's error is the one the caller sees, even when the network failed meanwhile.
				if (this.failure) this.failure = {error};
				this.abort(error);
				this.settle();
			},
		);
	}

	/** The sink wants no more: the body ends here (its connection is closed). */
	private stop(): void {
		if (this.finished) return;
		this.finish();
		this.controller?.abort(new Error('the rest of the response body was not read'));
	}

	private finish(): void {
		if (this.finished) return;
		this.finished = true;
		this.cleanup();
		this.resolveBody?.();
	}

	private fail(error: unknown): void {
		if (this.finished) return;
		this.failure ??= {error};
		if (!this.headDone) {
			this.headDone = true;
			this.rejectHead(error);
		}

		// The sink's pending promise settles first (as a stream's error surfaces after the loop's await).
		if (!this.waiting) this.settle();
	}

	/** Ends a failed body: the caller's consume rejects (or will, once it is called). */
	private settle(): void {
		if (this.finished && this.rejectBody === undefined) return;
		this.finished = true;
		this.cleanup();
		if (this.failure && this.rejectBody) {
			const reject = this.rejectBody;
			this.rejectBody = undefined;
			reject(this.failure.error);
		}
	}

	private cleanup(): void {
		this.queue.length = 0;
		this.queued = 0;
		this.signal?.removeEventListener('abort', this.onAbort);
	}
}
