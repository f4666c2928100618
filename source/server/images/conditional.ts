/**
 * RFC 9110 request preconditions and ranges for a static file, as pure functions (linear in the header's length):
 * `Range` (one range or a suffix range; several ranges get the whole file), `If-Range`, `If-None-Match`,
 * `If-Modified-Since`.
 */

export type RangeAnswer =
	/** No usable Range header (absent, malformed, several ranges, not bytes): the whole file, 200. */
	| {kind: 'whole'}
	| {kind: 'partial'; start: number; end: number}
	/** 416 with `Content-Range: bytes * /size`. */
	| {kind: 'unsatisfiable'};

/** Longest Range header looked at; longer ones are ignored (the whole file is sent). */
const MAX_RANGE_HEADER = 200;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
	if (header === undefined || header.length > MAX_RANGE_HEADER) return {kind: 'whole'};
	const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
	if (!match) return {kind: 'whole'};
	const [, first = '', last = ''] = match;
	if (first === '' && last === '') return {kind: 'whole'};
	if (first.length > 16 || last.length > 16) return first === '' ? {kind: 'whole'} : {kind: 'unsatisfiable'};
	if (first === '') {
		// A suffix range: the last N bytes.
		const length = Number(last);
		if (length === 0) return {kind: 'unsatisfiable'};
		if (size === 0) return {kind: 'unsatisfiable'};
		return {kind: 'partial', start: Math.max(0, size - length), end: size - 1};
	}

	const start = Number(first);
	if (start >= size) return {kind: 'unsatisfiable'};
	const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
	if (end < start) return {kind: 'whole'};
	return {kind: 'partial', start, end};
}

/** Entity tags in an If-None-Match / If-Match list (`"a", W/"b"`); `*` is returned as `['*']`. */
function entityTags(header: string): string[] {
	if (header.trim() === '*') return ['*'];
	return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/** If-None-Match (weak comparison) → whether the client's copy is current. */
export function noneMatchSatisfied(header: string | undefined, etag: string): boolean | undefined {
	if (header === undefined || header.length > 4096) return undefined;
	const tags = entityTags(header);
	return tags.includes('*') || tags.some(tag => tag.replace(/^W\//, '') === etag);
}

/** HTTP-date → epoch seconds, or undefined. */
function httpDateSeconds(value: string): number | undefined {
	if (value.length > 64) return undefined;
	const ms = Date.parse(value);
	return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** If-Modified-Since (only when If-None-Match is absent): the file has not changed since that date. */
export function notModifiedSince(header: string | undefined, mtimeMs: number): boolean {
	if (header === undefined) return false;
	const since = httpDateSeconds(header);
	return since !== undefined && Math.floor(mtimeMs / 1000) <= since;
}

/**
 * If-Range: a range is honoured only when the validator matches exactly (a strong ETag, or the exact
 * Last-Modified date); otherwise the whole file is sent.
 */
export function ifRangeMatches(header: string | undefined, etag: string, lastModified: string): boolean {
	if (header === undefined) return true;
	const value = header.trim();
	if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
	return value === lastModified;
}
