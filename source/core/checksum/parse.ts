/**
 * Reading a publisher's checksum file: GNU coreutils lines (`hex  name`, `hex *name`, `\`-escaped
 * names), BSD tags (`SHA256 (name) = hex`), a bare digest, a PGP clear-signed wrapper around any of them, CRLF,
 * comments and `# name: N bytes` size hints. Pure: no I/O, never throws on content.
 */
import type {ChecksumAlgorithm} from '../types.js';
import {DIGEST_HEX_LENGTHS, DIGEST_HEX_LENGTHS_TEXT, hexLength, parseAlgorithmName} from './algorithms.js';

export type ChecksumEntry = {
	/** The name as listed (unescaped; may carry `./` or directories). */
	name: string;
	/** Lower case. Its length is one of DIGEST_HEX_LENGTHS, and hexLength(tag) when tagged. */
	hex: string;
	/** The algorithm the line itself names: a BSD tag, or a `# SHA512 HASH` section header above it. */
	tag?: ChecksumAlgorithm;
	/** 1-based line number in the original text. */
	line: number;
};

/** A line that looks like a checksum line but cannot be used. */
export type MalformedLine = {
	line: number;
	/** The line as it stands in the file (at most 200 characters). */
	text: string;
	reason: string;
	/** The file name the line gives, when it gives one. */
	name?: string;
	/** Set when the line is well formed but for an algorithm isoman does not support (`SHA3-256 (x) = …`). */
	unsupported?: string;
};

export type ParsedChecksumFile = {
	entries: ChecksumEntry[];
	/** `# name: N bytes` hints, keyed by the name as written. */
	sizes: Map<string, number>;
	/** Set when the file's only content is one digest with no name (the file is named after its image). */
	bare?: {hex: string; line: number};
	malformed: MalformedLine[];
	/** The content was inside a PGP clear-signed wrapper (only the signed part was read; the signature is not checked). */
	clearSigned: boolean;
};

const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';

/** Gentoo's `.DIGESTS`: `# SHA512 HASH` / `# BLAKE2B HASH` above untagged lines (no overlapping quantifiers: linear). */
const SECTION_HEADER = /^#\s*(\S+)\s+HASH\s*$/i;

// The checksum file comes from the network: every line is parsed in linear time, by hand where a regular
// expression would backtrack (a greedy group followed by a tail that can fail late is quadratic on a long line).

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
const isTagStart = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);
const isTagChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9/_-]/.test(c);

/**
 * `TAG (name) = hex`, also openssl's `TAG(name)= hex`: [tag, name, digest], or undefined. The name runs to the LAST
 * `)` that is followed by ` ?= ?` and a digest without whitespace up to the end of the line (what the greedy
 * `^(TAG) ?\((.*)\) ?= ?(\S*)$` means), found in one pass.
 */
export function parseBsdLine(s: string): [string, string, string] | undefined {
	if (!isTagStart(s[0])) return undefined;
	let i = 1;
	while (isTagChar(s[i])) i++;
	const tag = s.slice(0, i);
	if (s[i] === ' ') i++;
	if (s[i] !== '(') return undefined;
	const nameStart = i + 1;
	// Everything after the last whitespace must be the digest (or part of ` = `).
	let lastSpace = -1;
	for (let k = s.length - 1; k >= nameStart; k--) {
		if (isSpace(s[k])) {
			lastSpace = k;
			break;
		}
	}

	for (let p = s.lastIndexOf(')'); p >= nameStart; p = p === 0 ? -1 : s.lastIndexOf(')', p - 1)) {
		let j = p + 1;
		if (s[j] === ' ') j++;
		if (s[j] !== '=') continue;
		j++;
		if (s[j] === ' ') j++;
		if (lastSpace >= j) {
			// A whitespace after this `) =` is inside the digest: no earlier `)` can do better (its digest holds it too).
			return undefined;
		}

		const name = s.slice(nameStart, p);
		// `.` does not match a line terminator: such a name is no BSD line (as before).
		return /[\r\u2028\u2029]/.test(name) ? undefined : [tag, name, s.slice(j)];
	}

	return undefined;
}

/** `# name: N bytes` (what `^#\s*(.+):\s+(\d+)\s+bytes\s*$`i means), read from the end in one pass: [name, N]. */
export function parseSizeHint(s: string): [string, string] | undefined {
	if (s[0] !== '#') return undefined;
	let end = s.length;
	while (end > 0 && isSpace(s[end - 1])) end--;
	if (end < 5 || s.slice(end - 5, end).toLowerCase() !== 'bytes') return undefined;
	let k = end - 5;
	const spaces = (): boolean => {
		const from = k;
		while (k > 0 && isSpace(s[k - 1])) k--;
		return k < from;
	};

	if (!spaces()) return undefined;
	const digitsEnd = k;
	while (k > 0 && /\d/.test(s[k - 1]!)) k--;
	if (k === digitsEnd) return undefined;
	const digits = s.slice(k, digitsEnd);
	if (!spaces()) return undefined;
	if (s[k - 1] !== ':') return undefined;
	let start = 1;
	while (start < k - 1 && isSpace(s[start])) start++;
	const name = s.slice(start, k - 1);
	return name === '' ? undefined : [name, digits];
}
const HEX = /^[0-9a-fA-F]+$/;
const KNOWN_LENGTHS = new Set(DIGEST_HEX_LENGTHS);

type ContentLine = {line: number; text: string; original: string};

function clip(s: string): string {
	return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The lines that carry content, with their original numbers: the signed part of a clear-signed file, else all. */
function contentLines(text: string): {lines: ContentLine[]; clearSigned: boolean} {
	const raw = text.split('\n').map(l => (l.endsWith('\r') ? l.slice(0, -1) : l));
	if (raw[0]?.startsWith('\uFEFF')) {
		raw[0] = raw[0].slice(1);
	}

	const lines: ContentLine[] = [];
	const begin = raw.findIndex(l => l.trim() === BEGIN_SIGNED);
	if (begin >= 0) {
		let i = begin + 1;
		// Armour headers (`Hash: SHA256`) up to the blank line.
		while (i < raw.length) {
			const l = (raw[i] ?? '').trimEnd();
			if (l === '') {
				i++;
				break;
			}

			if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(l)) {
				break;
			}

			i++;
		}

		for (; i < raw.length; i++) {
			const l = raw[i] ?? '';
			if (l.trimEnd() === BEGIN_SIGNATURE) {
				break;
			}

			// RFC 4880 §7.1 dash-escaping.
			lines.push({line: i + 1, text: l.startsWith('- ') ? l.slice(2) : l, original: l});
		}

		return {lines, clearSigned: true};
	}

	let inSignature = false;
	for (const [i, l] of raw.entries()) {
		const t = l.trim();
		if (inSignature) {
			inSignature = t !== END_SIGNATURE;
			continue;
		}

		if (t === BEGIN_SIGNATURE) {
			inSignature = true;
			continue;
		}

		lines.push({line: i + 1, text: l, original: l});
	}

	return {lines, clearSigned: false};
}

/** coreutils' filename_unescape: `\\` → `\`, `\n` → LF, `\r` → CR; any other escape is invalid. */
function unescapeName(s: string): string | undefined {
	let out = '';
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		if (c !== '\\') {
			out += c;
			continue;
		}

		const next = s[++i];
		if (next === '\\') {
			out += '\\';
		} else if (next === 'n') {
			out += '\n';
		} else if (next === 'r') {
			out += '\r';
		} else {
			return undefined;
		}
	}

	return out;
}

function hexRatio(token: string): number {
	let n = 0;
	for (const c of token) {
		if (/[0-9a-fA-F]/.test(c)) {
			n++;
		}
	}

	return token.length === 0 ? 0 : n / token.length;
}

/** A long token made mostly of hex digits: a digest with a typo rather than a word of a banner. */
function looksLikeDigest(token: string): boolean {
	return token.length >= 16 && hexRatio(token) >= 0.85;
}

function firstNonHex(token: string): string {
	return /[^0-9a-fA-F]/.exec(token)?.[0] ?? '';
}

export function parseChecksumFile(text: string): ParsedChecksumFile {
	const {lines, clearSigned} = contentLines(text);
	const entries: ChecksumEntry[] = [];
	const sizes = new Map<string, number>();
	const malformed: MalformedLine[] = [];
	const bareLines: Array<{hex: string; line: number; original: string}> = [];
	let section: ChecksumAlgorithm | undefined;

	for (const {line, text: content, original} of lines) {
		let s = content.trim();
		if (s === '') {
			continue;
		}

		const bad = (reason: string, extra: Partial<MalformedLine> = {}) => {
			malformed.push({line, text: clip(original), reason, ...extra});
		};

		if (s.startsWith('#')) {
			const size = parseSizeHint(s);
			if (size) {
				const n = Number(size[1]);
				if (Number.isSafeInteger(n)) {
					sizes.set(size[0].trim(), n);
				}
			}

			const header = SECTION_HEADER.exec(s);
			if (header?.[1]) {
				section = parseAlgorithmName(header[1]);
			}

			continue;
		}

		const escaped = s.startsWith('\\');
		if (escaped) {
			s = s.slice(1);
		}

		const unescape = (name: string): string | undefined => (escaped ? unescapeName(name) : name);

		const bsd = parseBsdLine(s);
		if (bsd) {
			const [tagText, rawName, digest] = bsd;
			const name = unescape(rawName);
			const nameField = name === undefined ? {} : {name};
			const tag = parseAlgorithmName(tagText);
			if (!tag) {
				// Only a line with a digest-like value is a checksum line; "Note (see below) = x" is prose.
				if (digest.length >= 8 && HEX.test(digest)) {
					bad(`unsupported algorithm ${tagText}`, {...nameField, unsupported: tagText});
				}

				continue;
			}

			if (name === undefined) {
				bad('invalid \\-escape in the file name (only \\\\, \\n and \\r are allowed)');
			} else if (digest === '') {
				bad(`no ${tagText} digest after "="`, nameField);
			} else if (!HEX.test(digest)) {
				bad(`the ${tagText} digest contains ${JSON.stringify(firstNonHex(digest))}, which is not a hex digit`, nameField);
			} else if (digest.length !== hexLength(tag)) {
				bad(`a ${tagText} digest has ${hexLength(tag)} hex characters; this one has ${digest.length}`, nameField);
			} else if (name === '') {
				bad('no file name between the parentheses');
			} else {
				entries.push({name, hex: digest.toLowerCase(), tag, line});
			}

			continue;
		}

		const gnu = /^(\S+)(?:[ \t]+(.*))?$/.exec(s);
		const token = gnu?.[1] ?? s;
		const rest = gnu?.[2];
		const isHex = HEX.test(token);
		if (rest === undefined || rest === '' || rest === '*') {
			// A digest with no name: the whole file may be a bare digest.
			if (isHex && KNOWN_LENGTHS.has(token.length)) {
				bareLines.push({hex: token.toLowerCase(), line, original});
			} else if ((isHex && token.length >= 16) || looksLikeDigest(token)) {
				bad(
					isHex
						? `a digest has ${DIGEST_HEX_LENGTHS_TEXT} hex characters; this one has ${token.length}`
						: `the digest contains ${JSON.stringify(firstNonHex(token))}, which is not a hex digit`,
				);
			}

			continue;
		}

		const rawName = rest.startsWith('*') ? rest.slice(1) : rest;
		const name = unescape(rawName);
		if (isHex || looksLikeDigest(token)) {
			const nameField = name === undefined ? {} : {name};
			if (name === undefined) {
				bad('invalid \\-escape in the file name (only \\\\, \\n and \\r are allowed)');
			} else if (!isHex) {
				bad(`the digest contains ${JSON.stringify(firstNonHex(token))}, which is not a hex digit`, nameField);
			} else if (!KNOWN_LENGTHS.has(token.length)) {
				// Short hex words ("2024 release") are prose, not truncated digests.
				if (token.length >= 8) {
					bad(`a digest has ${DIGEST_HEX_LENGTHS_TEXT} hex characters; this one has ${token.length}`, nameField);
				}
			} else {
				const entry: ChecksumEntry = {name, hex: token.toLowerCase(), line};
				if (section && hexLength(section) === token.length) {
					entry.tag = section;
				}

				entries.push(entry);
			}
		}
	}

	let bare: ParsedChecksumFile['bare'];
	const only = bareLines[0];
	if (only && bareLines.length === 1 && entries.length === 0 && malformed.length === 0) {
		bare = {hex: only.hex, line: only.line};
	} else {
		for (const b of bareLines) {
			malformed.push({line: b.line, text: clip(b.original), reason: 'a digest with no file name'});
		}

		malformed.sort((a, b) => a.line - b.line);
	}

	return {entries, sizes, ...(bare ? {bare} : {}), malformed, clearSigned};
}
