/**
 * The digest algorithms isoman supports: their hex lengths, node:crypto hashers, sidecar extensions,
 * and the parsing of the names users and publishers give them.
 */
import {createHash, type Hash} from 'node:crypto';
import {CHECKSUM_ALGORITHMS, IsomanError, type ChecksumAlgorithm} from '../types.js';

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = {
	md5: 32,
	sha1: 40,
	sha224: 56,
	sha256: 64,
	sha384: 96,
	sha512: 128,
	blake2b512: 128,
};

const NODE_NAME: Record<ChecksumAlgorithm, string> = {
	md5: 'md5',
	sha1: 'sha1',
	sha224: 'sha224',
	sha256: 'sha256',
	sha384: 'sha384',
	sha512: 'sha512',
	blake2b512: 'blake2b512',
};

const SIDECAR_EXTENSION: Record<ChecksumAlgorithm, string> = {
	md5: 'md5',
	sha1: 'sha1',
	sha224: 'sha224',
	sha256: 'sha256',
	sha384: 'sha384',
	sha512: 'sha512',
	blake2b512: 'b2',
};

/**
 * The algorithm a bare hex digest of this length is taken to be when nothing else says. 128 is SHA-512:
 * BLAKE2b-512 has the same length and must be named (by a tag, the file name or the user).
 */
const ALGORITHM_BY_HEX_LENGTH: ReadonlyMap<number, ChecksumAlgorithm> = new Map<number, ChecksumAlgorithm>([
	[32, 'md5'],
	[40, 'sha1'],
	[56, 'sha224'],
	[64, 'sha256'],
	[96, 'sha384'],
	[128, 'sha512'],
]);

/** Hex lengths a digest of a supported algorithm can have, ascending. */
export const DIGEST_HEX_LENGTHS: readonly number[] = [...ALGORITHM_BY_HEX_LENGTH.keys()];

/** "32, 40, 56, 64, 96 or 128" for messages. */
export const DIGEST_HEX_LENGTHS_TEXT = `${DIGEST_HEX_LENGTHS.slice(0, -1).join(', ')} or ${DIGEST_HEX_LENGTHS.at(-1)}`;

/** Spellings accepted by parseAlgorithmName, after lower-casing and removing `-`, `_` and spaces. */
const NAMES: ReadonlyMap<string, ChecksumAlgorithm> = new Map<string, ChecksumAlgorithm>([
	['md5', 'md5'],
	['sha1', 'sha1'],
	['sha224', 'sha224'],
	['sha2224', 'sha224'],
	['sha256', 'sha256'],
	['sha2256', 'sha256'],
	['sha384', 'sha384'],
	['sha2384', 'sha384'],
	['sha512', 'sha512'],
	['sha2512', 'sha512'],
	['blake2b512', 'blake2b512'],
	['blake2b', 'blake2b512'],
	['blake2', 'blake2b512'],
	['b2', 'blake2b512'],
]);

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
	return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** Number of hex characters in a digest of `alg`. */
export function hexLength(alg: ChecksumAlgorithm): number {
	return HEX_LENGTH[alg];
}

/** A fresh node:crypto Hash for `alg`. */
export function createHasher(alg: ChecksumAlgorithm): Hash {
	return createHash(NODE_NAME[alg]);
}

/** The extension of the sidecar file (`<image>.<ext>`): `sha256`, `md5`, … and `b2` for BLAKE2b-512. */
export function sidecarExtension(alg: ChecksumAlgorithm): string {
	return SIDECAR_EXTENSION[alg];
}

/** The algorithm a digest of `length` hex characters is taken to be when nothing names it (128 → sha512). */
export function algorithmForHexLength(length: number): ChecksumAlgorithm | undefined {
	return ALGORITHM_BY_HEX_LENGTH.get(length);
}

/**
 * A user's or publisher's name for an algorithm, case-insensitive: `SHA256`, `sha-256`, `SHA2-256`, `sha_256`,
 * `MD5`, `SHA1`, `BLAKE2b`, `BLAKE2b-512`, `blake2b512`, `b2`, `blake2`. Unknown or unsupported names
 * (`SHA3-256`, `BLAKE2b-256`, `BLAKE2s`, `SHA512/256`, `crc32`) give undefined.
 */
export function parseAlgorithmName(s: string): ChecksumAlgorithm | undefined {
	const key = s.trim().toLowerCase().replace(/[-_\s]+/g, '');
	return NAMES.get(key);
}

const SUPPORTED_TEXT = CHECKSUM_ALGORITHMS.join(', ');

/** Show a user's input in a message without letting a pasted essay flood it. */
function showInput(s: string, max = 72): string {
	return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/**
 * The CLI's `--checksum [ALG:]HEX` with an optional `--checksum-type ALG`. Whitespace anywhere is removed, the hex
 * is lower-cased, and its characters and length are checked against the algorithm; with no algorithm named, the
 * length decides (32 md5, 40 sha1, 56 sha224, 64 sha256, 96 sha384, 128 sha512).
 * Throws IsomanError('invalid', …, 'checksum' | 'checksum_type').
 */
export function parseDigestArg(input: string, type?: string): {algorithm: ChecksumAlgorithm; hex: string} {
	const compact = input.replace(/\s+/g, '');
	if (compact === '') {
		throw new IsomanError('invalid', 'checksum: empty; expected [ALG:]HEX, e.g. sha256:<64 hex characters>', 'checksum');
	}

	let prefix: string | undefined;
	let prefixAlg: ChecksumAlgorithm | undefined;
	let hexPart = compact;
	const colon = compact.indexOf(':');
	if (colon >= 0) {
		prefix = compact.slice(0, colon);
		hexPart = compact.slice(colon + 1);
		prefixAlg = parseAlgorithmName(prefix);
		if (!prefixAlg) {
			throw new IsomanError(
				'invalid',
				`checksum: unknown algorithm ${showInput(prefix)} before ":" (supported: ${SUPPORTED_TEXT})`,
				'checksum',
			);
		}
	}

	let typeAlg: ChecksumAlgorithm | undefined;
	if (type !== undefined && type.trim() !== '') {
		typeAlg = parseAlgorithmName(type);
		if (!typeAlg) {
			throw new IsomanError(
				'invalid',
				`checksum_type: unknown algorithm ${showInput(type.trim())} (supported: ${SUPPORTED_TEXT})`,
				'checksum_type',
			);
		}
	}

	if (prefixAlg && typeAlg && prefixAlg !== typeAlg) {
		throw new IsomanError(
			'invalid',
			`checksum_type: ${typeAlg} contradicts the ${showInput(`${prefix ?? ''}:`)} prefix of the checksum (${prefixAlg})`,
			'checksum_type',
		);
	}

	const named = prefixAlg ?? typeAlg;
	const expected = named
		? `expected ${hexLength(named)} hex characters for ${named}`
		: `expected ${DIGEST_HEX_LENGTHS_TEXT} hex characters`;
	const hex = hexPart.toLowerCase();
	if (!/^[0-9a-f]+$/.test(hex)) {
		const bad = /[^0-9a-f]/.exec(hex)?.[0];
		const detail = bad === undefined ? '' : `contains ${JSON.stringify(bad)}; `;
		throw new IsomanError('invalid', `checksum: ${showInput(hexPart)} is not a hex digest (${detail}${expected})`, 'checksum');
	}

	const algorithm = named ?? algorithmForHexLength(hex.length);
	if (!algorithm || hex.length !== hexLength(algorithm)) {
		throw new IsomanError('invalid', `checksum: ${showInput(hexPart)} is not a hex digest (${expected})`, 'checksum');
	}

	return {algorithm, hex};
}

/** `sha256sums` → sha256, `b2sum` → blake2b512, `checksum` → undefined. */
function algorithmFromSumsToken(token: string): ChecksumAlgorithm | undefined {
	const m = /^(.+?)sums?$/.exec(token);
	return m?.[1] ? parseAlgorithmName(m[1]) : undefined;
}

/**
 * The algorithm a checksum file's name announces: `SHA256SUMS`, `sha256sum.txt`, `x.iso.sha256`,
 * `CHECKSUM.SHA256`, `SHA512SUMS.gnu-text`, `b2sums.txt`, `B2SUMS`, `x.iso.b2`, `MD5SUMS`, `x.iso.md5.bare`,
 * `x.iso.sha256.asc`, … Accepts a bare name, a path or an http(s) URL. Dot-separated parts are read from the end;
 * a part counts when it is an algorithm name or `<alg>sum(s)`, or when one of its `-`/`_`-separated words is
 * (the two-letter `b2` only as a whole part or as `b2sum(s)`). Names that announce nothing (Fedora's
 * `…-CHECKSUM`, whose lines carry BSD tags, or `x.iso.DIGESTS`) give undefined.
 */
export function algorithmFromFileName(checksumFileName: string): ChecksumAlgorithm | undefined {
	let name = checksumFileName.trim();
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
		try {
			name = decodeURIComponent(new URL(name).pathname);
		} catch {
			// Not a URL after all (or bad percent-encoding): use it as it is.
		}
	}

	name = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
	const parts = name.split('.');
	for (let i = parts.length - 1; i >= 0; i--) {
		const part = parts[i] ?? '';
		const whole = parseAlgorithmName(part) ?? algorithmFromSumsToken(part);
		if (whole) {
			return whole;
		}

		const words = part.split(/[-_\s]+/);
		for (let j = words.length - 1; j >= 0; j--) {
			const word = words[j] ?? '';
			const alg = algorithmFromSumsToken(word) ?? (word.length > 2 ? parseAlgorithmName(word) : undefined);
			if (alg) {
				return alg;
			}
		}
	}

	return undefined;
}
