import {describe, expect, it} from 'vitest';
import {parseChecksumFile} from '../../../source/core/checksum/index.js';

const A = 'a39b9b3d5e28ac96921ccc8fd50d917fc48f21e9c526fd4c675b0aa58f6c77f6';
const B = '6dcae3737f693a69eb3e5c43aeb498231607815c51e8595c58276a48dd4ddfe9';
const M5 = '5bab541acd761a3093d7c4202b6e1da9';
const S512 = 'd'.repeat(128);

describe('parseChecksumFile: line shapes', () => {
	it.each<[string, string, Array<{name: string; hex: string; tag?: string; line: number}>]>([
		['GNU text mode', `${A}  x.iso\n${B}  y.iso\n`, [{name: 'x.iso', hex: A, line: 1}, {name: 'y.iso', hex: B, line: 2}]],
		['GNU binary mode', `${A} *x.iso\n`, [{name: 'x.iso', hex: A, line: 1}]],
		['one space, no marker', `${A} x.iso\n`, [{name: 'x.iso', hex: A, line: 1}]],
		['tab separator', `${A}\tx.iso\n`, [{name: 'x.iso', hex: A, line: 1}]],
		['upper-case hex', `${A.toUpperCase()}  x.iso\n`, [{name: 'x.iso', hex: A, line: 1}]],
		['CRLF', `${A}  x.iso\r\n${B}  y.iso\r\n`, [{name: 'x.iso', hex: A, line: 1}, {name: 'y.iso', hex: B, line: 2}]],
		['no final newline', `${A}  x.iso`, [{name: 'x.iso', hex: A, line: 1}]],
		['byte-order mark', `\uFEFF${A}  x.iso\n`, [{name: 'x.iso', hex: A, line: 1}]],
		['trailing blanks, leading indentation', `   ${A}  x.iso   \n`, [{name: 'x.iso', hex: A, line: 1}]],
		['./ and directories kept as listed', `${A}  ./x.iso\n${B}  sub/dir/y.iso\n`, [{name: './x.iso', hex: A, line: 1}, {name: 'sub/dir/y.iso', hex: B, line: 2}]],
		['names with spaces', `${A}  my image (1).iso\n`, [{name: 'my image (1).iso', hex: A, line: 1}]],
		['escaped backslash', `\\${A}  odd\\\\name.iso\n`, [{name: 'odd\\name.iso', hex: A, line: 1}]],
		['escaped newline and CR', `\\${A}  a\\nb\\rc.iso\n`, [{name: 'a\nb\rc.iso', hex: A, line: 1}]],
		['unescaped backslash is literal', `${A}  odd\\name.iso\n`, [{name: 'odd\\name.iso', hex: A, line: 1}]],
		['BSD tag', `SHA256 (x.iso) = ${A}\n`, [{name: 'x.iso', hex: A, tag: 'sha256', line: 1}]],
		['BSD tag, parentheses in the name', `SHA256 (x (beta) ) = y.iso) = ${A}\n`, [{name: 'x (beta) ) = y.iso', hex: A, tag: 'sha256', line: 1}]],
		['BSD tag, upper-case hex', `MD5 (x.iso) = ${M5.toUpperCase()}\n`, [{name: 'x.iso', hex: M5, tag: 'md5', line: 1}]],
		['BSD BLAKE2b tag', `BLAKE2b (x.iso) = ${S512}\n`, [{name: 'x.iso', hex: S512, tag: 'blake2b512', line: 1}]],
		['openssl dgst style', `SHA2-256(x.iso)= ${A}\n`, [{name: 'x.iso', hex: A, tag: 'sha256', line: 1}]],
		['escaped BSD line', `\\SHA256 (odd\\\\name.iso) = ${A}\n`, [{name: 'odd\\name.iso', hex: A, tag: 'sha256', line: 1}]],
		[
			'Gentoo DIGESTS section headers',
			`# BLAKE2B HASH\n${S512}  x.iso\n# SHA512 HASH\n${'e'.repeat(128)}  x.iso\n`,
			[{name: 'x.iso', hex: S512, tag: 'blake2b512', line: 2}, {name: 'x.iso', hex: 'e'.repeat(128), tag: 'sha512', line: 4}],
		],
	])('%s', (_label, text, entries) => {
		const parsed = parseChecksumFile(text);
		expect(parsed.entries).toEqual(entries);
		expect(parsed.malformed).toEqual([]);
		expect(parsed.bare).toBeUndefined();
	});
});

describe('parseChecksumFile: comments, banners, sizes', () => {
	it('skips comments, blank lines and banners, and keeps original line numbers', () => {
		const text = [
			'Debian 12.7.0 checksums', // 1 banner
			'', // 2
			'# generated 2024-08-31', // 3
			'=====================', // 4
			`${A}  x.iso`, // 5
			'Hash: SHA256', // 6
			'2024 release notes below', // 7: short hex word, prose
			'abc def', // 8
			`${B}  y.iso`, // 9
			'Note (see below) = nothing', // 10: BSD-shaped prose
		].join('\n');
		const parsed = parseChecksumFile(text);
		expect(parsed.entries.map(e => [e.name, e.line])).toEqual([
			['x.iso', 5],
			['y.iso', 9],
		]);
		expect(parsed.malformed).toEqual([]);
	});

	it('reads "# name: N bytes" size hints', () => {
		const parsed = parseChecksumFile(`# x.iso: 1133514752 bytes\nSHA256 (x.iso) = ${A}\n# dir/y: z.iso: 42 bytes\n`);
		expect(parsed.sizes).toEqual(
			new Map([
				['x.iso', 1_133_514_752],
				['dir/y: z.iso', 42],
			]),
		);
	});
});

describe('parseChecksumFile: bare digests', () => {
	it.each([
		['alone', `${M5}\n`, 1],
		['CRLF and upper case', `${M5.toUpperCase()}\r\n`, 1],
		['after a comment and blank lines', `# rocky\n\n${M5}\n\n`, 3],
	])('%s', (_label, text, line) => {
		expect(parseChecksumFile(text).bare).toEqual({hex: M5, line});
	});

	it('is not a bare file when other lines list files; the nameless digest is malformed', () => {
		const parsed = parseChecksumFile(`${A}  x.iso\n${M5}\n`);
		expect(parsed.bare).toBeUndefined();
		expect(parsed.malformed).toEqual([{line: 2, text: M5, reason: 'a digest with no file name'}]);
	});

	it('a bare digest of impossible length is malformed, not bare', () => {
		const parsed = parseChecksumFile(`${M5.slice(1)}\n`);
		expect(parsed.bare).toBeUndefined();
		expect(parsed.malformed).toEqual([{line: 1, text: M5.slice(1), reason: expect.stringMatching(/this one has 31/) as string}]);
	});
});

describe('parseChecksumFile: malformed lines are recorded with their line numbers', () => {
	it.each<[string, string, RegExp]>([
		['truncated digest', `${A.slice(0, 63)}  x.iso`, /this one has 63/],
		['digest one too long', `${A}0  x.iso`, /this one has 65/],
		['non-hex character', `${A.slice(0, 63)}g  x.iso`, /contains "g"/],
		['BSD digest of the wrong length', `SHA256 (x.iso) = ${M5}`, /a SHA256 digest has 64 hex characters; this one has 32/],
		['BSD digest with a non-hex character', `SHA256 (x.iso) = ${A.slice(0, 63)}z`, /contains "z"/],
		['BSD line without a digest', 'SHA256 (x.iso) = ', /no SHA256 digest/],
		['bad escape', `\\${A}  odd\\qname.iso`, /invalid \\-escape/],
	])('%s', (_label, line, reason) => {
		const parsed = parseChecksumFile(`# header\n${B}  other.iso\n${line}\n`);
		expect(parsed.entries.map(e => e.name)).toEqual(['other.iso']);
		expect(parsed.malformed).toHaveLength(1);
		const bad = parsed.malformed[0]!;
		expect(bad.line).toBe(3);
		expect(bad.text).toBe(line);
		expect(bad.reason).toMatch(reason);
		if (!line.startsWith('\\')) {
			expect(bad.name).toBe('x.iso');
		}
	});

	it('records a supported-shape line for an unsupported algorithm as unsupported', () => {
		const parsed = parseChecksumFile(`SHA3-256 (x.iso) = ${A}\nSHA256 (x.iso) = ${B}\n`);
		expect(parsed.entries).toEqual([{name: 'x.iso', hex: B, tag: 'sha256', line: 2}]);
		expect(parsed.malformed).toEqual([
			{line: 1, text: `SHA3-256 (x.iso) = ${A}`, reason: 'unsupported algorithm SHA3-256', name: 'x.iso', unsupported: 'SHA3-256'},
		]);
	});
});

describe('parseChecksumFile: PGP clear-signed wrapper', () => {
	const signed = (body: string[]) =>
		[
			'-----BEGIN PGP SIGNED MESSAGE-----', // 1
			'Hash: SHA256', // 2
			'', // 3
			...body,
			'-----BEGIN PGP SIGNATURE-----',
			'',
			'iQIzBAEBCAAdFiEE',
			`${B}  sneaky.iso`,
			'=ABCD',
			'-----END PGP SIGNATURE-----',
			`${B}  after.iso`,
		].join('\r\n');

	it('reads only the signed part, with original line numbers', () => {
		const parsed = parseChecksumFile(signed([`${A}  x.iso`, `SHA256 (y.iso) = ${B}`]));
		expect(parsed.clearSigned).toBe(true);
		expect(parsed.entries).toEqual([
			{name: 'x.iso', hex: A, line: 4},
			{name: 'y.iso', hex: B, tag: 'sha256', line: 5},
		]);
		expect(parsed.malformed).toEqual([]);
	});

	it('undoes dash-escaping', () => {
		const parsed = parseChecksumFile(signed(['- -----BEGIN NOT A SIGNATURE-----', `- ${A}  -dash.iso`, `# -x.iso: 12 bytes`]));
		expect(parsed.entries).toEqual([{name: '-dash.iso', hex: A, line: 5}]);
		expect(parsed.sizes.get('-x.iso')).toBe(12);
	});

	it('reads a bare digest inside the wrapper', () => {
		const parsed = parseChecksumFile(signed([M5]));
		expect(parsed.bare).toEqual({hex: M5, line: 4});
		expect(parsed.entries).toEqual([]);
	});

	it('ignores unsigned lines before the wrapper', () => {
		const parsed = parseChecksumFile(`${B}  x.iso\n${signed([`${A}  x.iso`])}`);
		expect(parsed.entries).toEqual([{name: 'x.iso', hex: A, line: 5}]);
	});

	it('skips a detached signature block in an otherwise plain file', () => {
		const text = [`${A}  x.iso`, '-----BEGIN PGP SIGNATURE-----', '', `${B}  y.iso`, '-----END PGP SIGNATURE-----', `${B}  z.iso`].join('\n');
		const parsed = parseChecksumFile(text);
		expect(parsed.clearSigned).toBe(false);
		expect(parsed.entries.map(e => [e.name, e.line])).toEqual([
			['x.iso', 1],
			['z.iso', 6],
		]);
	});
});
