/**
 * The request target, checked once for every route before anything looks at it. Refused (400): anything but an
 * origin-form path (`/…`), a dot segment (`.`/`..`, raw or percent-encoded), an empty segment (`//`), an
 * encoded `/` or `\`, a raw `\`, NUL or any control character (raw or encoded), a broken percent escape, or bytes
 * that do not decode as UTF-8. What passes is a list of decoded segments that can be looked up as names, never
 * joined into a file-system path by string alone.
 */

export type RequestPath = {
	/** Decoded segments (`/images/a/b.iso` → `['images', 'a', 'b.iso']`); a trailing `/` gives a last `''`. */
	segments: string[];
	/** Whether the path ends with `/`. */
	directory: boolean;
	/** The raw path (still encoded), without the query. */
	raw: string;
	/** The raw query including `?`, or ''. */
	search: string;
};

export type PathProblem = {problem: string};

/** Longest request target accepted (node's header limit bounds it too). */
export const MAX_TARGET = 8192;

const CONTROL = /[\u0000-\u001F\u007F]/;

export function parseRequestPath(target: string | undefined): RequestPath | PathProblem {
	if (!target || target[0] !== '/') return {problem: 'the request target must be a path starting with /'};
	if (target.length > MAX_TARGET) return {problem: `the request target is longer than ${MAX_TARGET} characters`};
	const q = target.indexOf('?');
	const raw = q === -1 ? target : target.slice(0, q);
	const search = q === -1 ? '' : target.slice(q);
	const hash = raw.indexOf('#');
	if (hash !== -1) return {problem: 'a request target has no fragment'};
	if (raw.includes('\\')) return {problem: 'backslashes are not allowed in a path'};
	if (CONTROL.test(target)) return {problem: 'control characters are not allowed in a request target'};
	const rawSegments = raw.slice(1).split('/');
	const directory = raw.endsWith('/');
	const segments: string[] = [];
	for (const [index, rawSegment] of rawSegments.entries()) {
		if (rawSegment === '') {
			// A trailing slash is a directory; `//` anywhere else is refused (`/` itself is the root).
			if (index === rawSegments.length - 1) {
				segments.push('');
				continue;
			}

			return {problem: 'empty path segments (//) are not allowed'};
		}

		let decoded: string;
		try {
			decoded = decodeSegment(rawSegment);
		} catch {
			return {problem: 'a percent escape in the path is broken or not UTF-8'};
		}

		if (decoded === '.' || decoded === '..') return {problem: 'dot segments (. and ..) are not allowed in a path'};
		if (decoded.includes('/') || decoded.includes('\\')) return {problem: 'an encoded / or \\ is not allowed in a path'};
		if (CONTROL.test(decoded)) return {problem: 'control characters (NUL included) are not allowed in a path'};
		segments.push(decoded);
	}

	return {segments, directory, raw, search};
}

/** Strict percent-decoding of one segment: `%` must be followed by two hex digits; the result must be UTF-8. */
function decodeSegment(segment: string): string {
	if (!segment.includes('%')) return segment;
	if (/%(?![0-9A-Fa-f]{2})/.test(segment)) throw new URIError('broken escape');
	// decodeURIComponent rejects invalid UTF-8 (URIError).
	return decodeURIComponent(segment);
}

export function isPathProblem(value: RequestPath | PathProblem): value is PathProblem {
	return 'problem' in value;
}

/** Segments back to an encoded path (`['images','a b']` → `/images/a%20b`). */
export function encodePath(segments: readonly string[]): string {
	return '/' + segments.map(s => encodeURIComponent(s)).join('/');
}
