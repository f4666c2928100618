/**
 * The one place where text from outside (a server, a checksum file, a URL, a catalogue row, a typed string) is
 * made safe to show to a person or to print as JSON.
 *
 * - `displayText`: every character a terminal would act on or hide is replaced by a visible escape: C0 controls
 *   (U+0000–U+001F, newline and tab included), DEL, C1 controls (U+0080–U+009F), the line and paragraph
 *   separators, bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), every other invisible
 *   format character (Unicode category Cf: U+200B–U+200F, U+2060–U+2064, U+FEFF, U+00AD, tags, …) and lone
 *   surrogates. `\x1b`, `\n`, `\u202e`, `\u{e0041}`: never emitted raw.
 * - `jsonText`: `JSON.stringify`, then the same characters (which JSON.stringify leaves raw) written as `\uXXXX`,
 *   so that NDJSON and `--json` output printed to a terminal is safe too, and still parses to the same value.
 * - `redactUrl`: a URL with its password replaced by `***` (the catalogue keeps the real one, to send it).
 *
 * One linear pass each (a character class, no backtracking).
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

// What JSON.stringify leaves raw among those (it escapes C0 and lone surrogates itself; its own indentation stays).
const JSON_UNSAFE = /[\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}]/u;
const JSON_UNSAFE_ALL = /[\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}]/gu;

const SHORT: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'};

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function escapeForPerson(char: string): string {
	const short = SHORT[char];
	if (short) return short;
	const cp = char.codePointAt(0)!;
	if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
	if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
	return `\\u{${cp.toString(16)}}`;
}

/** `text` with every control, bidi and invisible format character shown as an escape (`\x1b`, `\u202e`). */
export function displayText(text: string): string {
	if (!UNSAFE.test(text)) return text;
	return text.replaceAll(UNSAFE_ALL, escapeForPerson);
}

/** A message for a person (stderr, a notice, an error field): passwords in URLs as `***`, then displayText. */
export function messageText(text: string): string {
	return displayText(redactUrlsIn(text));
}

// What displayText escapes, the newline apart (Cc is U+0000–U+001F and U+007F–U+009F).
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_NEWLINE = /[\0-\x09\x0b-\x1f\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_NEWLINE_ALL = /[\0-\x09\x0b-\x1f\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * Each line of `text` through messageText: a multi-line message keeps its lines, nothing else gets through.
 * Done on the whole text at once (the same result: a URL token never spans a newline, and each character is
 * escaped on its own), so a 10 MB `list --json` costs one scan, not one split, scan and join per line.
 */
export function displayLines(text: string): string {
	const redacted = redactUrlsIn(text);
	if (!UNSAFE_BUT_NEWLINE.test(redacted)) return redacted;
	return redacted.replaceAll(UNSAFE_BUT_NEWLINE_ALL, escapeForPerson);
}

/** Whether `text` holds a character `displayText` would escape. */
export function hasUnsafeText(text: string): boolean {
	return UNSAFE.test(text);
}

function escapeForJson(char: string): string {
	let out = '';
	for (let i = 0; i < char.length; i++) out += `\\u${hex(char.charCodeAt(i), 4)}`;
	return out;
}

/**
 * `JSON.stringify(value, null, space)` with DEL, C1 controls, U+2028/U+2029, bidi controls and the other invisible
 * format characters escaped as `\uXXXX` (C0 and lone surrogates JSON.stringify escapes already). Same value when
 * parsed back.
 */
export function jsonText(value: unknown, space?: number): string {
	const json = JSON.stringify(value, null, space);
	if (json === undefined) return 'null';
	if (!JSON_UNSAFE.test(json)) return json;
	return json.replaceAll(JSON_UNSAFE_ALL, escapeForJson);
}

/**
 * `url` with the password of its user info replaced by `***` (`http://user:***@host/…`); anything else as it
 * is. Works on text that does not parse as a URL too (it looks for `scheme://user:pass@`).
 */
export function redactUrl(url: string): string {
	const scheme = url.indexOf('://');
	if (scheme < 0) return url;
	const start = scheme + 3;
	// The authority ends at the first `/`, `?`, `#` (or `\`, which WHATWG treats as `/` for http).
	let end = url.length;
	for (let i = start; i < url.length; i++) {
		const c = url[i];
		if (c === '/' || c === '?' || c === '#' || c === '\\') {
			end = i;
			break;
		}
	}

	const at = url.lastIndexOf('@', end - 1);
	if (at < start) return url;
	const colon = url.indexOf(':', start);
	if (colon < 0 || colon > at) return url;
	return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

/** Every `scheme://user:pass@` inside a longer text (a message, a log line) with its password as `***`. */
export function redactUrlsIn(text: string): string {
	if (!text.includes('@') || !text.includes('://')) return text;
	// Split on whitespace and quotes: URLs never contain them unescaped. Linear.
	return text.replaceAll(/[^\s"'<>]+/g, token => (token.includes('://') && token.includes('@') ? redactUrl(token) : token));
}
