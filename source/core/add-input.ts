/**
 * What `add` accepts, validated the same way from every entry point (CLI, TUI form, scripts).
 * Errors are IsomanError with the field named; nothing is written before this passes.
 */
import type {NewImage} from './catalogue/repository.js';
import {parseAlgorithmName, parseDigestArg} from './checksum/algorithms.js';
import {httpUrlSchema, resolveImageSpec} from './naming.js';
import {IsomanError} from './types.js';

export type AddInput = {
	url: string;
	name?: string;
	version?: string;
	arch?: string;
	edition?: string | null;
	checksumUrl?: string | null;
	/** `[ALG:]HEX` */
	checksum?: string | null;
	checksumType?: string | null;
};

const blank = (s: string | null | undefined) => s === undefined || s === null || s.trim() === '';

/** Validate everything and build the row to insert (no I/O). */
export function prepareAdd(input: AddInput): NewImage {
	const spec = resolveImageSpec({
		url: input.url,
		name: blank(input.name) ? undefined : input.name,
		version: blank(input.version) ? undefined : input.version,
		arch: blank(input.arch) ? undefined : input.arch,
		// Not given: inferred from the file name. Given but blank: no edition.
		edition: input.edition === undefined ? undefined : blank(input.edition) ? null : input.edition,
	});

	if (!blank(input.checksum) && !blank(input.checksumUrl)) {
		throw new IsomanError('invalid', 'checksum: give either a checksum URL or a digest, not both', 'checksum');
	}

	// With a checksum URL and no type, the algorithm is told by the checksum file when it is fetched.
	let checksumType: NewImage['checksumType'] = blank(input.checksumUrl) ? 'sha256' : null;
	let expectedChecksum: string | null = null;
	let checksumUrl: string | null = null;
	if (!blank(input.checksum)) {
		const digest = parseDigestArg(input.checksum!, blank(input.checksumType) ? undefined : input.checksumType!);
		checksumType = digest.algorithm;
		expectedChecksum = digest.hex;
	} else {
		if (!blank(input.checksumType)) {
			const alg = parseAlgorithmName(input.checksumType!);
			if (!alg) {
				throw new IsomanError('invalid', `checksum_type: "${input.checksumType}" is not one of md5, sha1, sha224, sha256, sha384, sha512, blake2b512`, 'checksum_type');
			}

			checksumType = alg;
		}

		if (!blank(input.checksumUrl)) {
			const parsed = httpUrlSchema('checksum_url').safeParse(input.checksumUrl!.trim());
			if (!parsed.success) {
				throw new IsomanError('invalid', parsed.error.issues[0]?.message ?? 'checksum_url: not a valid http(s) URL', 'checksum_url');
			}

			checksumUrl = input.checksumUrl!.trim();
		}
	}

	return {
		name: spec.name,
		version: spec.version,
		arch: spec.arch,
		edition: spec.edition,
		fileType: spec.fileType,
		filename: spec.filename,
		filePath: spec.relativePath,
		downloadUrl: input.url.trim(),
		checksumUrl,
		checksumType,
		expectedChecksum,
	};
}
