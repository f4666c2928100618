import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {displayLines, displayText, jsonText, messageText, redactUrl, redactUrlsIn} from '../../source/core/display-text.js';
import {HOSTILE, HOSTILE_CHARS, rawUnsafe} from '../support/hostile.js';

describe('displayText', () => {
	it('makes every kind of control, bidi and invisible format character visible', () => {
		for (const char of HOSTILE_CHARS) {
			const shown = displayText(`a${char}b`);
			expect(rawUnsafe(shown), `U+${char.codePointAt(0)!.toString(16)}`).toEqual([]);
			expect(shown.startsWith('a\\')).toBe(true);
			expect(shown.endsWith('b')).toBe(true);
		}
	});

	it('writes the usual escapes', () => {
		expect(displayText('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
		expect(displayText('\x1b]52;c;aGk=\x07')).toBe('\\x1b]52;c;aGk=\\x07');
		expect(displayText('a\nb\tc\r')).toBe('a\\nb\\tc\\r');
		expect(displayText('\x9b31m\x7f')).toBe('\\x9b31m\\x7f');
		expect(displayText('evil\u202egpj.exe')).toBe('evil\\u202egpj.exe');
		expect(displayText('\u2066x\u2069\u200b\ufeff')).toBe('\\u2066x\\u2069\\u200b\\ufeff');
		expect(displayText('tag\u{e0041}')).toBe('tag\\u{e0041}');
		expect(displayText('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
	});

	it('leaves ordinary text, accents, CJK and emoji alone', () => {
		for (const text of ['alpine-standard-3.20.3-x86_64.iso', 'Débian 12 — «netinst»', '日本語', '😀 ok', 'a b', 'C:\\path']) {
			expect(displayText(text)).toBe(text);
		}
	});

	it('never lets an unsafe character through, whatever the input', () => {
		fc.assert(
			fc.property(fc.string({unit: 'binary', maxLength: 200}), text => {
				expect(rawUnsafe(displayText(text))).toEqual([]);
			}),
			{numRuns: 500},
		);
	});

	it('is linear: a 1 MiB hostile string in well under a second', () => {
		const big = HOSTILE.repeat(Math.ceil((1024 * 1024) / HOSTILE.length));
		const started = Date.now();
		expect(rawUnsafe(displayText(big))).toEqual([]);
		expect(Date.now() - started).toBeLessThan(5000);
	});
});

describe('displayLines', () => {
	/** Its definition: every line through messageText, the newlines kept. */
	const lineByLine = (text: string) => text.split('\n').map(line => messageText(line)).join('\n');

	it('is every line through messageText, the newlines kept (done on the whole text at once)', () => {
		const pieces = fc.constantFrom('\n', '\r\n', ' ', '"', '@', '://', 'http://u:pw@h/x', 'https://a:b@c:1/?d=e@f', 'user@host', '\u2028', '\x85', '\x1b[2J', '\ud800', '😀', 'é', 'x');
		const text = fc.oneof(fc.string({unit: 'binary', maxLength: 200}), fc.array(pieces, {maxLength: 40}).map(parts => parts.join('')));
		fc.assert(
			fc.property(text, t => {
				expect(displayLines(t)).toBe(lineByLine(t));
			}),
			{numRuns: 1000},
		);
		for (const t of [HOSTILE, `${HOSTILE}\nhttp://u:secret@example.org/a\n`, '[\n  {\n    "url": "http://u:p@h/a"\n  }\n]', '']) expect(displayLines(t)).toBe(lineByLine(t));
	});

	it('leaves text with nothing to escape or redact as it is (the same string)', () => {
		const json = jsonText([{id: 'a', url: 'http://example.org/a.iso', name: 'Débian 😀'}], 2);
		expect(displayLines(json)).toBe(json);
	});
});

describe('jsonText', () => {
	it('escapes C1, line separators and bidi (which JSON.stringify leaves raw) and parses back to the same value', () => {
		const value = {message: HOSTILE, nested: [HOSTILE_CHARS.join('')]};
		const raw = JSON.stringify(value);
		expect(rawUnsafe(raw).length).toBeGreaterThan(0);
		const safe = jsonText(value, 2);
		expect(rawUnsafe(safe, ['\n'])).toEqual([]);
		expect(JSON.parse(safe)).toEqual(value);
	});

	it('keeps every value identical after a round trip', () => {
		fc.assert(
			fc.property(fc.jsonValue(), value => {
				const safe = jsonText(value);
				expect(rawUnsafe(safe)).toEqual([]);
				expect(JSON.parse(safe)).toEqual(JSON.parse(JSON.stringify(value)));
			}),
			{numRuns: 300},
		);
	});
});

describe('redactUrl', () => {
	it('replaces the password by ***', () => {
		expect(redactUrl('http://user:secret@example.org/a.iso')).toBe('http://user:***@example.org/a.iso');
		expect(redactUrl('https://u:p%40ss@example.org:8443/x?y=1#z')).toBe('https://u:***@example.org:8443/x?y=1#z');
		expect(redactUrl('http://u:a@b@example.org/')).toBe('http://u:***@example.org/');
	});

	it('leaves URLs without a password alone, and an @ after the host', () => {
		for (const url of ['http://example.org/a.iso', 'http://user@example.org/a', 'http://example.org:80/a@b', 'http://example.org/?q=a:b@c', 'not a url']) {
			expect(redactUrl(url)).toBe(url);
		}
	});

	it('finds URLs inside a message', () => {
		expect(redactUrlsIn('GET http://u:pw@h/x failed: "https://a:b@c/d"')).toBe('GET http://u:***@h/x failed: "https://a:***@c/d"');
	});
});
