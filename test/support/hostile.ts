/**
 * Hostile text for display tests: one of every kind of character a terminal acts on or hides, and a check that
 * output bytes hold none of them raw.
 */

/** One of each kind: C0 (ESC, BEL, BS, CR, LF, TAB, NUL), DEL, C1 (CSI, OSC, NEL, ST), separators, bidi, invisibles. */
export const HOSTILE_CHARS: readonly string[] = [
	'\x00',
	'\x07',
	'\x08',
	'\t',
	'\n',
	'\r',
	'\x1b',
	'\x7f',
	'\x80',
	'\x85',
	'\x9b',
	'\x9c',
	'\x9d',
	'\x9f',
	'\u2028',
	'\u2029',
	'\u202a',
	'\u202b',
	'\u202c',
	'\u202d',
	'\u202e',
	'\u2066',
	'\u2067',
	'\u2068',
	'\u2069',
	'\u200b',
	'\u200e',
	'\u200f',
	'\u2060',
	'\ufeff',
	'\u00ad',
	'\u061c',
	'\u{e0001}',
	'\u{e0041}',
];

/** Escape sequences a hostile server would send: title change (OSC 0), clipboard write (OSC 52), CSI, C1 CSI, bidi. */
export const HOSTILE = 'x\x1b]0;pwned\x07\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[31mred\x9b1m\u202egpj.exe\u2066\u2069\r\nfake line\x85\u2028';

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** The unsafe characters found in `text`, as `U+XXXX` (empty when it is safe to print). */
export function rawUnsafe(text: string, allow: readonly string[] = []): string[] {
	const found = new Set<string>();
	for (const m of text.matchAll(UNSAFE)) {
		if (!allow.includes(m[0])) found.add(`U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')}`);
	}

	return [...found];
}
