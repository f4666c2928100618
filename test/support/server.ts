/**
 * Fault-injecting HTTP server for tests and benchmarks (node:http on 127.0.0.1).
 * CONTRACT STUB: the API below is fixed; the implementation is being written.
 */

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

/** Start a server on 127.0.0.1 with an ephemeral port. */
export async function startTestServer(): Promise<TestServer> {
	throw new Error('not implemented yet');
}

/** Generate the same bytes the server sends for `{kind: 'generated'}` content (for tests that need them in memory). */
export function generatedBytes(size: number, seed: number, fileType?: string): Buffer {
	throw new Error(`not implemented yet ${size} ${seed} ${fileType}`);
}
