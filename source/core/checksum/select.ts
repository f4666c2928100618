/**
 * Picking the line of a checksum file that belongs to the image being downloaded, and its algorithm.
 */
import {IsomanError, type ChecksumAlgorithm} from '../types.js';
import {algorithmForHexLength, algorithmFromFileName, hexLength} from './algorithms.js';
import {parseChecksumFile, type ChecksumEntry, type MalformedLine, type ParsedChecksumFile} from './parse.js';

export type ChecksumErrorCode = 'no_entry' | 'malformed' | 'conflict' | 'type_mismatch';

/** Why a checksum file cannot verify an image. `lines` are the 1-based line numbers the message refers to. */
export class ChecksumError extends IsomanError {
	declare readonly code: ChecksumErrorCode;

	constructor(
		code: ChecksumErrorCode,
		message: string,
		readonly lines: readonly number[] = [],
		field = 'checksum_url',
	) {
		super(code, message, field);
		this.name = 'ChecksumError';
	}
}

export type SelectedChecksum = {
	algorithm: ChecksumAlgorithm;
	/** Lower-case hex, hexLength(algorithm) characters. */
	hex: string;
	/** The name as the file lists it (may carry `./` or directories); for a bare digest, the first candidate. */
	name: string;
	/** The candidate that matched. */
	candidate: string;
	/** 1-based line number of the digest in the checksum file. */
	line: number;
	/** From a `# name: N bytes` hint. */
	expectedSize?: number;
};

export type SelectOptions = {
	/** The checksum file's text. */
	text: string;
	/** Its name (or URL), used to tell the algorithm (SHA256SUMS, *.sha512, b2sums.txt, …). */
	checksumFileName: string;
	/** Names to look for, in order: the percent-decoded basename of the download URL, then of the final URL. */
	candidates: string[];
	/** The algorithm the user asked for (`--checksum-type`). */
	userType?: ChecksumAlgorithm;
	/** The checksum URL, for messages; defaults to checksumFileName. */
	source?: string;
};

/** When one name has lines of several algorithms (Gentoo's DIGESTS: SHA512 and BLAKE2B), the first of these wins. */
const PREFERENCE: readonly ChecksumAlgorithm[] = ['sha256', 'sha512', 'blake2b512', 'sha384', 'sha224', 'sha1', 'md5'];

const LISTED_NAMES_SHOWN = 10;

function baseName(name: string): string {
	return name.slice(name.lastIndexOf('/') + 1);
}

type Determined = {algorithm: ChecksumAlgorithm; from: 'tag' | 'file name' | 'length'};

function listing(parsed: ParsedChecksumFile, text: string): string {
	const names = [...new Set(parsed.entries.map(e => e.name))];
	if (names.length === 0) {
		const html = /^\s*<(!doctype\s+html|html)/i.test(text);
		return `it lists no files${html ? ' (it looks like an HTML page)' : ''}`;
	}

	const shown = names.slice(0, LISTED_NAMES_SHOWN).join(', ');
	const more = names.length > LISTED_NAMES_SHOWN ? `, … (${names.length - LISTED_NAMES_SHOWN} more)` : '';
	return `it lists ${names.length} file${names.length === 1 ? '' : 's'}: ${shown}${more}`;
}

function malformedError(bad: MalformedLine, source: string, what: string): ChecksumError {
	return new ChecksumError('malformed', `line ${bad.line} of ${source}, ${what}, is malformed: ${bad.reason}`, [bad.line]);
}

/**
 * The algorithm of one digest: the line's tag, else the file's name, else its length. A length that the file
 * name's algorithm cannot have is an error.
 */
function determine(
	hex: string,
	tag: ChecksumAlgorithm | undefined,
	fileAlg: ChecksumAlgorithm | undefined,
	opts: {source: string; checksumFileName: string; line: number; name: string},
): Determined {
	if (tag) {
		return {algorithm: tag, from: 'tag'};
	}

	if (fileAlg) {
		if (hex.length !== hexLength(fileAlg)) {
			throw new ChecksumError(
				'type_mismatch',
				`${opts.checksumFileName} names ${fileAlg} (${hexLength(fileAlg)} hex characters), but line ${opts.line} of ${opts.source} gives ${opts.name} a digest of ${hex.length} hex characters`,
				[opts.line],
			);
		}

		return {algorithm: fileAlg, from: 'file name'};
	}

	const byLength = algorithmForHexLength(hex.length);
	if (!byLength) {
		// parseChecksumFile only returns known lengths; this guards the invariant.
		throw new ChecksumError('malformed', `line ${opts.line} of ${opts.source}: a digest of ${hex.length} hex characters`, [opts.line]);
	}

	return {algorithm: byLength, from: 'length'};
}

/**
 * The user's type against what the file says: equal is fine, and so is a type of the same length when only the
 * length spoke (128 hex: sha512 or blake2b512). Returns the algorithm to use, or undefined when they disagree.
 */
function reconcile(d: Determined, hex: string, userType: ChecksumAlgorithm | undefined): ChecksumAlgorithm | undefined {
	if (!userType || userType === d.algorithm) {
		return d.algorithm;
	}

	return d.from === 'length' && hexLength(userType) === hex.length ? userType : undefined;
}

function userTypeError(userType: ChecksumAlgorithm, d: Determined, line: number, name: string, source: string): ChecksumError {
	return new ChecksumError(
		'type_mismatch',
		`checksum type ${userType} was asked for, but line ${line} of ${source} gives ${name} a ${d.algorithm} digest (from its ${d.from})`,
		[line],
		'checksum_type',
	);
}

function sizeFor(parsed: ParsedChecksumFile, listedName: string, candidate: string): number | undefined {
	const exact = parsed.sizes.get(listedName);
	if (exact !== undefined) {
		return exact;
	}

	for (const [name, size] of parsed.sizes) {
		if (baseName(name) === candidate) {
			return size;
		}
	}

	return undefined;
}

/** The digest the checksum file gives for the image. Throws ChecksumError. */
export function selectChecksum(opts: SelectOptions): SelectedChecksum {
	const source = opts.source ?? opts.checksumFileName;
	const candidates = [...new Set(opts.candidates.map(c => baseName(c)).filter(c => c !== ''))];
	const first = candidates[0];
	if (first === undefined) {
		throw new TypeError('selectChecksum: no candidate names');
	}

	const parsed = parseChecksumFile(opts.text);
	const fileAlg = algorithmFromFileName(opts.checksumFileName);
	const common = {source, checksumFileName: opts.checksumFileName};

	if (parsed.bare) {
		const {hex, line} = parsed.bare;
		const d = determine(hex, undefined, fileAlg, {...common, line, name: first});
		const algorithm = reconcile(d, hex, opts.userType);
		if (!algorithm) {
			throw userTypeError(opts.userType ?? d.algorithm, d, line, first, source);
		}

		const expectedSize = sizeFor(parsed, first, first);
		return {algorithm, hex, name: first, candidate: first, line, ...(expectedSize === undefined ? {} : {expectedSize})};
	}

	for (const candidate of candidates) {
		const matches = parsed.entries.filter(e => baseName(e.name) === candidate);
		const named = parsed.malformed.filter(m => m.name !== undefined && baseName(m.name) === candidate);
		const broken = named.filter(m => m.unsupported === undefined);
		const brokenFirst = broken[0];
		if (brokenFirst) {
			throw malformedError(brokenFirst, source, `which lists ${candidate}`);
		}

		if (matches.length === 0) {
			const unsupported = named[0];
			if (unsupported) {
				throw new ChecksumError(
					'type_mismatch',
					`line ${unsupported.line} of ${source} gives ${candidate} a ${unsupported.unsupported ?? ''} digest, which isoman does not support`,
					[unsupported.line],
				);
			}

			continue;
		}

		const byAlgorithm = new Map<ChecksumAlgorithm, ChecksumEntry[]>();
		let refused: {d: Determined; e: ChecksumEntry} | undefined;
		for (const e of matches) {
			const d = determine(e.hex, e.tag, fileAlg, {...common, line: e.line, name: e.name});
			const algorithm = reconcile(d, e.hex, opts.userType);
			if (!algorithm) {
				refused ??= {d, e};
				continue;
			}

			const group = byAlgorithm.get(algorithm) ?? [];
			group.push(e);
			byAlgorithm.set(algorithm, group);
		}

		if (byAlgorithm.size === 0 && refused && opts.userType) {
			throw userTypeError(opts.userType, refused.d, refused.e.line, refused.e.name, source);
		}

		const algorithm = PREFERENCE.find(a => byAlgorithm.has(a));
		const group = algorithm ? byAlgorithm.get(algorithm) : undefined;
		const chosen = group?.[0];
		if (!algorithm || !group || !chosen) {
			throw new Error('unreachable: a matched entry without an algorithm');
		}

		const other = group.find(e => e.hex !== chosen.hex);
		if (other) {
			throw new ChecksumError(
				'conflict',
				`${source} gives ${candidate} two different ${algorithm} digests, on lines ${chosen.line} and ${other.line}`,
				[chosen.line, other.line],
			);
		}

		const expectedSize = sizeFor(parsed, chosen.name, candidate);
		return {
			algorithm,
			hex: chosen.hex,
			name: chosen.name,
			candidate,
			line: chosen.line,
			...(expectedSize === undefined ? {} : {expectedSize}),
		};
	}

	// No line names the image. A file whose only digest-like line is broken and nameless was meant as a bare digest.
	const nameless = parsed.malformed.find(m => m.name === undefined);
	if (parsed.entries.length === 0 && nameless) {
		throw malformedError(nameless, source, `its only digest`);
	}

	const wanted = candidates.length > 1 ? `${first} (or ${candidates.slice(1).join(', ')})` : first;
	throw new ChecksumError('no_entry', `no entry for ${wanted} in ${source}; ${listing(parsed, opts.text)}`);
}
