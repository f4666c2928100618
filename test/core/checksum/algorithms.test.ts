import {createHash} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {
	algorithmFromFileName,
	createHasher,
	hexLength,
	parseAlgorithmName,
	parseDigestArg,
	sidecarExtension,
} from '../../../source/core/checksum/index.js';
import {CHECKSUM_ALGORITHMS, IsomanError, type ChecksumAlgorithm} from '../../../source/core/types.js';

const LENGTHS: Array<[ChecksumAlgorithm, number, string]> = [
	['md5', 32, 'md5'],
	['sha1', 40, 'sha1'],
	['sha224', 56, 'sha224'],
	['sha256', 64, 'sha256'],
	['sha384', 96, 'sha384'],
	['sha512', 128, 'sha512'],
	['blake2b512', 128, 'b2'],
];

describe('hexLength, createHasher, sidecarExtension', () => {
	it('covers every supported algorithm', () => {
		expect(LENGTHS.map(([alg]) => alg).sort()).toEqual([...CHECKSUM_ALGORITHMS].sort());
	});

	it.each(LENGTHS)('%s: %i hex characters, sidecar .%s, hasher matches node:crypto', (alg, length, ext) => {
		expect(hexLength(alg)).toBe(length);
		expect(sidecarExtension(alg)).toBe(ext);
		const hex = createHasher(alg).update('isoman').digest('hex');
		expect(hex).toHaveLength(length);
		expect(hex).toBe(createHash(alg).update('isoman').digest('hex'));
	});

	it('blake2b512 and sha512 hashers differ although both give 128 hex', () => {
		expect(createHasher('blake2b512').update('x').digest('hex')).not.toBe(createHasher('sha512').update('x').digest('hex'));
	});
});

describe('parseAlgorithmName', () => {
	it.each<[string, ChecksumAlgorithm | undefined]>([
		['SHA256', 'sha256'],
		['sha256', 'sha256'],
		['sha-256', 'sha256'],
		['SHA2-256', 'sha256'],
		['sha_256', 'sha256'],
		[' Sha512 ', 'sha512'],
		['SHA-512', 'sha512'],
		['SHA384', 'sha384'],
		['sha224', 'sha224'],
		['SHA1', 'sha1'],
		['sha-1', 'sha1'],
		['MD5', 'md5'],
		['BLAKE2b', 'blake2b512'],
		['BLAKE2b-512', 'blake2b512'],
		['blake2b512', 'blake2b512'],
		['b2', 'blake2b512'],
		['B2', 'blake2b512'],
		['SHA3-256', undefined],
		['sha3256', undefined],
		['BLAKE2b-256', undefined],
		['BLAKE2s', undefined],
		['SHA512/256', undefined],
		['crc32', undefined],
		['', undefined],
		['sha', undefined],
	])('%j → %s', (input, expected) => {
		expect(parseAlgorithmName(input)).toBe(expected);
	});
});

describe('algorithmFromFileName', () => {
	it.each<[string, ChecksumAlgorithm | undefined]>([
		['SHA256SUMS', 'sha256'],
		['sha256sum.txt', 'sha256'],
		['sha256sums.txt', 'sha256'],
		['SHA256SUMS.gpg', 'sha256'],
		['SHA256SUMS.gnu-text', 'sha256'],
		['debian-12.7.0-amd64-netinst.iso.sha256', 'sha256'],
		['x.iso.sha256sum', 'sha256'],
		['x.iso.sha256.txt', 'sha256'],
		['CHECKSUM.SHA256', 'sha256'],
		['CHECKSUM.SHA256.bsd', 'sha256'],
		['CHECKSUM.SHA512', 'sha512'],
		['SHA512SUMS', 'sha512'],
		['SHA512SUMS.gnu-text', 'sha512'],
		['x.iso.sha512', 'sha512'],
		['SHA384SUMS', 'sha384'],
		['SHA224SUMS', 'sha224'],
		['SHA1SUMS', 'sha1'],
		['b2sums.txt', 'blake2b512'],
		['B2SUMS', 'blake2b512'],
		['archlinux-2024.11.01-x86_64.iso.b2', 'blake2b512'],
		['BLAKE2SUMS', 'blake2b512'],
		['x.iso.blake2b', 'blake2b512'],
		['MD5SUMS', 'md5'],
		['md5sum.txt', 'md5'],
		['x.iso.md5', 'md5'],
		['rocky-9.4-x86_64-minimal.iso.md5.bare', 'md5'],
		['https://example.org/pub/SHA256SUMS?x=1', 'sha256'],
		['/srv/mirror/x.iso.sha512', 'sha512'],
		// The last part that names an algorithm wins over words in the image name.
		['md5-tools-1.0.iso.sha256', 'sha256'],
		['sha2-256sums', 'sha256'],
		// Nothing announced: Fedora's CHECKSUM carries BSD tags, DIGESTS carries section headers.
		['Fedora-Server-41-1.4-x86_64-CHECKSUM', undefined],
		['Fedora-Server-41-1.4-x86_64-CHECKSUM.clearsigned', undefined],
		['CHECKSUMS', undefined],
		['install-amd64-minimal.iso.DIGESTS', undefined],
		['SHA3-256SUMS', undefined],
		// "b2" inside an image's name is not an algorithm.
		['tool-b2-x86_64.iso.txt', undefined],
		['checksums.txt', undefined],
	])('%s → %s', (name, expected) => {
		expect(algorithmFromFileName(name)).toBe(expected);
	});
});

const H64 = 'a'.repeat(64);
const H128 = 'b'.repeat(128);

describe('parseDigestArg', () => {
	it.each<[string, string | undefined, ChecksumAlgorithm, string]>([
		[H64, undefined, 'sha256', H64],
		[`sha256:${H64}`, undefined, 'sha256', H64],
		[`SHA-256:${H64.toUpperCase()}`, undefined, 'sha256', H64],
		[`  ${H64.slice(0, 32)} ${H64.slice(32)}\n`, undefined, 'sha256', H64],
		['0123456789abcdef0123456789ABCDEF', undefined, 'md5', '0123456789abcdef0123456789abcdef'],
		['c'.repeat(40), undefined, 'sha1', 'c'.repeat(40)],
		['d'.repeat(56), undefined, 'sha224', 'd'.repeat(56)],
		['e'.repeat(96), undefined, 'sha384', 'e'.repeat(96)],
		[H128, undefined, 'sha512', H128],
		[H128, 'BLAKE2b', 'blake2b512', H128],
		[`b2:${H128}`, undefined, 'blake2b512', H128],
		[`blake2b512:${H128}`, 'b2', 'blake2b512', H128],
		[`sha256:${H64}`, 'SHA256', 'sha256', H64],
		[H64, 'sha2-256', 'sha256', H64],
		[H64, '', 'sha256', H64],
	])('%j with type %j → %s', (input, type, algorithm, hex) => {
		expect(parseDigestArg(input, type)).toEqual({algorithm, hex});
	});

	it.each<[string, string | undefined, string, RegExp]>([
		['abc', 'sha256', 'checksum', /^checksum: "abc" is not a hex digest \(expected 64 hex characters for sha256\)$/],
		['abc', undefined, 'checksum', /^checksum: "abc" is not a hex digest \(expected 32, 40, 56, 64, 96 or 128 hex characters\)$/],
		[`sha256:${H128}`, undefined, 'checksum', /expected 64 hex characters for sha256/],
		[H64, 'md5', 'checksum', /expected 32 hex characters for md5/],
		[`${H64.slice(1)}g`, undefined, 'checksum', /contains "g"/],
		['xyz:' + H64, undefined, 'checksum', /unknown algorithm "xyz"/],
		[`sha3-256:${H64}`, undefined, 'checksum', /unknown algorithm "sha3-256"/],
		[H64, 'sha3', 'checksum_type', /^checksum_type: unknown algorithm "sha3"/],
		[`sha256:${H64}`, 'sha512', 'checksum_type', /checksum_type: sha512 contradicts the "sha256:" prefix/],
		['', undefined, 'checksum', /^checksum: empty/],
		['   ', undefined, 'checksum', /^checksum: empty/],
		['sha256:', undefined, 'checksum', /"" is not a hex digest/],
		['0x' + H64.slice(2), undefined, 'checksum', /contains "x"/],
	])('%j with type %j fails on %s', (input, type, field, message) => {
		let error: unknown;
		try {
			parseDigestArg(input, type);
		} catch (error_) {
			error = error_;
		}

		expect(error).toBeInstanceOf(IsomanError);
		const e = error as IsomanError;
		expect(e.code).toBe('invalid');
		expect(e.field).toBe(field);
		expect(e.message).toMatch(message);
	});

	it('keeps a pasted essay out of the message', () => {
		expect(() => parseDigestArg('z'.repeat(5000))).toThrow(/^checksum: "z{72}…" is not a hex digest/);
	});
});
