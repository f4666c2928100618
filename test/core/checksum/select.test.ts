import {describe, expect, it} from 'vitest';
import {ChecksumError, selectChecksum, type ChecksumErrorCode, type SelectOptions} from '../../../source/core/checksum/index.js';
import {IsomanError} from '../../../source/core/types.js';

const A = 'a39b9b3d5e28ac96921ccc8fd50d917fc48f21e9c526fd4c675b0aa58f6c77f6';
const B = '6dcae3737f693a69eb3e5c43aeb498231607815c51e8595c58276a48dd4ddfe9';
const C = '3030aa699e29944e84426d9b326e69b106a6fdee089226192c3c4ebd01e2997f';
const M5 = '5bab541acd761a3093d7c4202b6e1da9';
const H128 = 'd'.repeat(128);
const SRC = 'https://mirror.example/pub/SHA256SUMS';

function select(text: string, candidates: string[], extra: Partial<SelectOptions> = {}) {
	return selectChecksum({text, checksumFileName: 'SHA256SUMS', candidates, source: SRC, ...extra});
}

function failure(fn: () => unknown): ChecksumError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(ChecksumError);
		expect(error).toBeInstanceOf(IsomanError);
		return error as ChecksumError;
	}

	throw new Error('expected a ChecksumError, got none');
}

function expectFailure(fn: () => unknown, code: ChecksumErrorCode, ...parts: Array<string | RegExp>): ChecksumError {
	const error = failure(fn);
	expect(error.code).toBe(code);
	for (const part of parts) {
		if (typeof part === 'string') {
			expect(error.message).toContain(part);
		} else {
			expect(error.message).toMatch(part);
		}
	}

	return error;
}

describe('selectChecksum: names match exactly', () => {
	const traps = [
		`${B}  x.iso.zsync`,
		`${B}  debian-edu-x.iso`,
		`${B}  x.iso.torrent`,
		`${B}  x.iso.sig`,
		`${B}  X.ISO`,
		`${B}  x.iso.`,
		`${B}  prefix-x.iso`,
		`${B}  x.is`,
		`SHA256 (my-x.iso) = ${B}`,
	];

	it.each(traps)('%s is not an entry for x.iso', trap => {
		// Alone: nothing matches.
		expectFailure(() => select(`${trap}\n`, ['x.iso']), 'no_entry', 'no entry for x.iso in ');
		// Before and after the real line: the real line wins whatever the order.
		expect(select(`${trap}\n${A}  x.iso\n`, ['x.iso'])).toMatchObject({hex: A, line: 2});
		expect(select(`${A}  x.iso\n${trap}\n`, ['x.iso'])).toMatchObject({hex: A, line: 1});
	});

	it.each([
		['./x.iso', `${A}  ./x.iso`],
		['sub/x.iso', `${A}  sub/x.iso`],
		['./a/b/x.iso', `${A} *./a/b/x.iso`],
		['amd64/iso-cd/x.iso', `SHA256 (amd64/iso-cd/x.iso) = ${A}`],
	])('a listed %s matches x.iso', (name, line) => {
		expect(select(`${B}  y.iso\n${line}\n`, ['x.iso'])).toEqual({algorithm: 'sha256', hex: A, name, candidate: 'x.iso', line: 2});
	});

	it('a directory part of the listed name does not make a substring match', () => {
		expectFailure(() => select(`${A}  x.iso/readme\n`, ['x.iso']), 'no_entry');
	});

	it('tries the candidates in order: the URL name, then the final URL name', () => {
		const text = `${A}  final.iso\n${B}  asked.iso\n`;
		expect(select(text, ['asked.iso', 'final.iso'])).toMatchObject({hex: B, candidate: 'asked.iso'});
		expect(select(text, ['download', 'final.iso'])).toMatchObject({hex: A, candidate: 'final.iso', name: 'final.iso'});
	});

	it('matches a name with spaces, backslashes and parentheses exactly', () => {
		const text = `\\${A}  odd\\\\name (1).iso\nSHA256 (weird) = (name).iso) = ${B}\n`;
		expect(select(text, ['odd\\name (1).iso']).hex).toBe(A);
		expect(select(text, ['weird) = (name).iso']).hex).toBe(B);
	});

	it('accepts CRLF and upper-case hex, returning lower case', () => {
		expect(select(`${B}  y.iso\r\n${A.toUpperCase()} *x.iso\r\n`, ['x.iso'])).toMatchObject({hex: A, line: 2});
	});
});

describe('selectChecksum: duplicates and conflicts', () => {
	it('the same name with the same digest twice is fine', () => {
		expect(select(`${A}  x.iso\n${B}  y.iso\n${A}  ./x.iso\n`, ['x.iso'])).toMatchObject({hex: A, line: 1});
	});

	it('a GNU line and a BSD line agreeing is fine', () => {
		expect(select(`${A}  x.iso\nSHA256 (x.iso) = ${A.toUpperCase()}\n`, ['x.iso']).hex).toBe(A);
	});

	it('two different digests for one name is an error naming both lines', () => {
		const error = expectFailure(
			() => select(`${A}  x.iso\n# comment\n${B}  y.iso\n${C}  x.iso\n`, ['x.iso']),
			'conflict',
			'lines 1 and 4',
			'x.iso',
			SRC,
		);
		expect(error.lines).toEqual([1, 4]);
	});

	it('two directories with different digests for the same basename conflict', () => {
		expectFailure(() => select(`${A}  amd64/x.iso\n${B}  arm64/x.iso\n`, ['x.iso']), 'conflict', 'lines 1 and 2');
	});

	it('different algorithms for one name are not a conflict: sha256 is preferred, or the user type', () => {
		const text = `SHA512 (x.iso) = ${H128}\nSHA256 (x.iso) = ${A}\nMD5 (x.iso) = ${M5}\n`;
		expect(select(text, ['x.iso'], {checksumFileName: 'CHECKSUM'})).toMatchObject({algorithm: 'sha256', hex: A, line: 2});
		expect(select(text, ['x.iso'], {checksumFileName: 'CHECKSUM', userType: 'sha512'})).toMatchObject({algorithm: 'sha512', line: 1});
		expect(select(text, ['x.iso'], {checksumFileName: 'CHECKSUM', userType: 'md5'})).toMatchObject({algorithm: 'md5', line: 3});
		expectFailure(() => select(text, ['x.iso'], {checksumFileName: 'CHECKSUM', userType: 'sha1'}), 'type_mismatch', 'sha1');
	});

	it('Gentoo DIGESTS: BLAKE2B and SHA512 sections for the same file', () => {
		const sha512 = 'e'.repeat(128);
		const text = `# BLAKE2B HASH\n${H128}  x.iso\n${H128}  x.iso.CONTENTS.gz\n# SHA512 HASH\n${sha512}  x.iso\n`;
		const opts = {checksumFileName: 'x.iso.DIGESTS'};
		expect(select(text, ['x.iso'], opts)).toMatchObject({algorithm: 'sha512', hex: sha512, line: 5});
		expect(select(text, ['x.iso'], {...opts, userType: 'blake2b512'})).toMatchObject({algorithm: 'blake2b512', hex: H128, line: 2});
	});
});

describe('selectChecksum: malformed and missing entries', () => {
	it.each([
		['a truncated digest', `${A.slice(0, 60)}  x.iso`, /this one has 60/],
		['a non-hex character', `${A.slice(0, 63)}x  x.iso`, /contains "x"/],
		['a BSD digest of the wrong length', `SHA256 (x.iso) = ${M5}`, /has 64 hex characters; this one has 32/],
		['a BSD line with no digest', 'SHA256 (x.iso) =', /no SHA256 digest/],
	])('the matching line with %s is an error with its line number', (_label, bad, reason) => {
		const error = expectFailure(
			() => select(`Checksums for release 1\n\n${B}  y.iso\n${bad}\n`, ['x.iso']),
			'malformed',
			`line 4 of ${SRC}`,
			'x.iso',
			reason,
		);
		expect(error.lines).toEqual([4]);
	});

	it('a malformed line for another file does not matter', () => {
		expect(select(`${B.slice(0, 50)}  y.iso\n${A}  x.iso\n`, ['x.iso'])).toMatchObject({hex: A, line: 2});
	});

	it('a malformed line for the image is an error even next to a good one', () => {
		expectFailure(() => select(`${A}  x.iso\n${A.slice(1)}  x.iso\n`, ['x.iso']), 'malformed', 'line 2');
	});

	it('a truncated bare digest is malformed, with its line', () => {
		expectFailure(() => select(`# rocky\n${M5.slice(2)}\n`, ['x.iso'], {checksumFileName: 'x.iso.md5'}), 'malformed', 'line 2', 'this one has 30');
	});

	it('only an unsupported algorithm for the image is reported as such', () => {
		expectFailure(() => select(`SHA3-256 (x.iso) = ${A}\n`, ['x.iso'], {checksumFileName: 'CHECKSUM'}), 'type_mismatch', 'line 1', 'SHA3-256');
		expect(select(`SHA3-256 (x.iso) = ${B}\nSHA256 (x.iso) = ${A}\n`, ['x.iso'], {checksumFileName: 'CHECKSUM'}).line).toBe(2);
	});

	it('no entry: names the candidates, the source and what the file lists', () => {
		const error = expectFailure(
			() => select(`${A}  a.iso\n${B}  ./b.iso\n${C}  c.iso\n${A}  a.iso\n`, ['x.iso', 'x-final.iso']),
			'no_entry',
		);
		expect(error.message).toBe(`no entry for x.iso (or x-final.iso) in ${SRC}; it lists 3 files: a.iso, ./b.iso, c.iso`);
		expect(error.field).toBe('checksum_url');
	});

	it('no entry: a long listing is cut short', () => {
		const text = Array.from({length: 25}, (_, i) => `${A}  f${i}.iso`).join('\n');
		const error = expectFailure(() => select(text, ['x.iso']), 'no_entry', 'it lists 25 files: f0.iso, f1.iso', 'f9.iso, … (15 more)');
		expect(error.message).not.toContain('f10.iso');
	});

	it('no entry: an empty file or an HTML page lists no files', () => {
		expectFailure(() => select('', ['x.iso']), 'no_entry', `no entry for x.iso in ${SRC}; it lists no files`);
		expectFailure(() => select('<!DOCTYPE html>\n<html><body>Not found</body></html>\n', ['x.iso']), 'no_entry', 'looks like an HTML page');
	});

	it('the source defaults to the checksum file name', () => {
		expectFailure(() => selectChecksum({text: `${A}  a.iso\n`, checksumFileName: 'SHA256SUMS', candidates: ['x.iso']}), 'no_entry', 'in SHA256SUMS;');
	});
});

describe('selectChecksum: algorithm', () => {
	it.each([
		['BSD tag beats the file name', `SHA512 (x.iso) = ${H128}`, 'SHA256SUMS', 'sha512'],
		['file name', `${H128}  x.iso`, 'b2sums.txt', 'blake2b512'],
		['file name, sha512', `${H128}  x.iso`, 'SHA512SUMS', 'sha512'],
		['length 128 with no name', `${H128}  x.iso`, 'CHECKSUMS', 'sha512'],
		['length 64 with no name', `${A}  x.iso`, 'CHECKSUMS', 'sha256'],
		['length 32 with no name', `${M5}  x.iso`, 'CHECKSUMS', 'md5'],
		['length 40 with no name', `${'c'.repeat(40)}  x.iso`, 'CHECKSUMS', 'sha1'],
		['length 96 with no name', `${'c'.repeat(96)}  x.iso`, 'CHECKSUMS', 'sha384'],
		['length 56 with no name', `${'c'.repeat(56)}  x.iso`, 'CHECKSUMS', 'sha224'],
	] as const)('%s', (_label, line, checksumFileName, algorithm) => {
		expect(select(`${line}\n`, ['x.iso'], {checksumFileName}).algorithm).toBe(algorithm);
	});

	it('a file name whose algorithm the digest length does not fit is an error', () => {
		const error = expectFailure(() => select(`${A}  x.iso\n`, ['x.iso'], {checksumFileName: 'SHA512SUMS'}), 'type_mismatch', 'SHA512SUMS names sha512', 'line 1', '64');
		expect(error.lines).toEqual([1]);
		expectFailure(() => select(`${A}  x.iso\n`, ['x.iso'], {checksumFileName: 'x.iso.md5'}), 'type_mismatch', 'md5');
	});

	it('a user type contradicting the tag or the file name is an error', () => {
		const byTag = expectFailure(() => select(`SHA256 (x.iso) = ${A}\n`, ['x.iso'], {userType: 'sha512'}), 'type_mismatch', 'sha512', 'sha256', 'line 1');
		expect(byTag.field).toBe('checksum_type');
		expectFailure(() => select(`${H128}  x.iso\n`, ['x.iso'], {checksumFileName: 'SHA512SUMS', userType: 'blake2b512'}), 'type_mismatch', 'blake2b512');
		expectFailure(() => select(`${A}  x.iso\n`, ['x.iso'], {checksumFileName: 'CHECKSUMS', userType: 'md5'}), 'type_mismatch', 'md5');
	});

	it('a user type agreeing with the file is fine', () => {
		expect(select(`${A}  x.iso\n`, ['x.iso'], {userType: 'sha256'}).algorithm).toBe('sha256');
	});

	it('bare digests: the file name, else the length, else the user type of the same length', () => {
		expect(select(`${M5}\n`, ['r.iso'], {checksumFileName: 'r.iso.md5.bare'})).toEqual({algorithm: 'md5', hex: M5, name: 'r.iso', candidate: 'r.iso', line: 1});
		expect(select(`${H128}\n`, ['r.iso'], {checksumFileName: 'r.iso.b2'}).algorithm).toBe('blake2b512');
		expect(select(`${H128}\n`, ['r.iso'], {checksumFileName: 'r.iso.digest'}).algorithm).toBe('sha512');
		expect(select(`${H128}\n`, ['r.iso'], {checksumFileName: 'r.iso.digest', userType: 'blake2b512'}).algorithm).toBe('blake2b512');
		expectFailure(() => select(`${M5}\n`, ['r.iso'], {checksumFileName: 'r.iso.sha256'}), 'type_mismatch', 'sha256');
		expectFailure(() => select(`${M5}\n`, ['r.iso'], {checksumFileName: 'r.iso.digest', userType: 'sha1'}), 'type_mismatch', 'sha1');
	});

	it('a bare digest matches whatever candidate is asked for', () => {
		expect(select(`${A}\n`, ['anything.iso', 'other.iso'], {checksumFileName: 'x.sha256'})).toMatchObject({hex: A, name: 'anything.iso'});
	});

	it('a size hint is returned for the selected name only', () => {
		const text = `# x.iso: 100 bytes\n# y.iso: 200 bytes\nSHA256 (x.iso) = ${A}\nSHA256 (y.iso) = ${B}\nSHA256 (z.iso) = ${C}\n`;
		expect(select(text, ['y.iso']).expectedSize).toBe(200);
		expect(select(text, ['x.iso']).expectedSize).toBe(100);
		expect(select(text, ['z.iso'])).not.toHaveProperty('expectedSize');
	});

	it('needs at least one candidate', () => {
		expect(() => select(`${A}\n`, [])).toThrow(TypeError);
	});
});
