/**
 * What `add` accepts, validated the same way from every entry point (CLI, TUI form, HTTP API, scripts).
 * Every field is checked, and all the problems are reported together as one ValidationError naming each field
 * and its rule; nothing is written before this passes.
 */
import type {NewImage} from './catalogue/repository.js';
import {parseAlgorithmName, parseDigestArg} from './checksum/algorithms.js';
import {fieldProblem, httpUrlSchema, resolveImageSpec, type ImageSpec} from './naming.js';
import {parseRate} from './rate.js';
import {safeRemoteName} from './remote-name.js';
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
	/** This image's bandwidth limit as typed (`2M`, `500K`, `0` = none). */
	maxRate?: string | null;
	/** A detached OpenPGP signature over the checksum file, or over the image when there is no checksum file. */
	signatureUrl?: string | null;
	/** Accept only this keyring key (or its subkeys): a fingerprint, a unique prefix, or a long key ID. */
	key?: string | null;
	/** Fail unless signed by a keyring key. */
	requireSignature?: boolean;
	/** The image type (`iso`, `qcow2.xz`) when the URL does not tell it, or to overrule it. */
	type?: string | null;
	/**
	 * The file name the server gave (Content-Disposition or a redirect's target: a URL check finds it), for a URL
	 * whose last segment names no image file. Untrusted: cut to its last path component and sanitised here.
	 */
	fileName?: string | null;
};

export type AddContext = {
	/** The keyring fingerprint a `key` names (throws IsomanError naming the field). */
	resolveKey?: (ref: string) => string;
	/** The library's --require-signature setting. */
	requireSignature?: boolean;
};

/** One bad field and its rule; `message` starts with the field's name (`version: "1 2" must match …`). */
export type FieldProblem = {field: string; message: string};

/** Invalid input: every bad field with its rule. `field` and the message's start are the first problem's. */
export class ValidationError extends IsomanError {
	constructor(readonly problems: readonly FieldProblem[]) {
		super('invalid', problems.map(p => p.message).join('; '), problems[0]?.field);
		this.name = 'ValidationError';
	}
}

const blank = (s: string | null | undefined) => s === undefined || s === null || s.trim() === '';

/** Runs `check`; an IsomanError naming a field becomes a problem instead of a throw. */
function collect<T>(problems: FieldProblem[], fallbackField: string, check: () => T): T | undefined {
	try {
		return check();
	} catch (error) {
		if (!(error instanceof IsomanError)) throw error;
		if (error instanceof ValidationError) problems.push(...error.problems);
		else problems.push({field: error.field ?? fallbackField, message: error.message});
		return undefined;
	}
}

/** The identity fields of an add: resolved from the URL and what was given, every problem collected. */
export function resolveSpec(input: Pick<AddInput, 'url' | 'name' | 'version' | 'arch' | 'edition' | 'type' | 'fileName'>, problems: FieldProblem[]): ImageSpec | undefined {
	const given = {
		url: input.url,
		type: blank(input.type) ? undefined : input.type,
		fileName: safeRemoteName(input.fileName ?? undefined),
		name: blank(input.name) ? undefined : input.name,
		version: blank(input.version) ? undefined : input.version,
		arch: blank(input.arch) ? undefined : input.arch,
		// Not given: inferred from the file name. Given but blank: no edition.
		edition: input.edition === undefined ? undefined : blank(input.edition) ? null : input.edition,
	};
	const before = problems.length;
	const spec = collect(problems, 'url', () => resolveImageSpec(given));
	if (spec) return spec;
	// resolveImageSpec stops at its first problem: check the other given fields on their own too.
	const named = new Set(problems.slice(before).map(p => p.field));
	for (const field of ['url', 'name', 'version', 'arch', 'edition'] as const) {
		const value = given[field];
		if (named.has(field) || (field === 'url' && named.has('type')) || value === undefined || value === null) continue;
		const problem = fieldProblem(field, value);
		if (problem) problems.push({field, message: problem});
	}

	return undefined;
}

export type ChecksumFields = Pick<NewImage, 'checksumUrl' | 'checksumType' | 'expectedChecksum'>;

/** The checksum source (URL, digest, or none) and algorithm, every problem collected. */
export function resolveChecksum(input: Pick<AddInput, 'checksumUrl' | 'checksum' | 'checksumType'>, problems: FieldProblem[]): ChecksumFields | undefined {
	const before = problems.length;
	if (!blank(input.checksum) && !blank(input.checksumUrl)) {
		problems.push({field: 'checksum', message: 'checksum: give either a checksum URL or a digest, not both'});
		return undefined;
	}

	// With a checksum URL and no type, the algorithm is told by the checksum file when it is fetched.
	let checksumType: NewImage['checksumType'] = blank(input.checksumUrl) ? 'sha256' : null;
	let expectedChecksum: string | null = null;
	let checksumUrl: string | null = null;
	if (!blank(input.checksum)) {
		const digest = collect(problems, 'checksum', () => parseDigestArg(input.checksum!, blank(input.checksumType) ? undefined : input.checksumType!));
		if (digest) {
			checksumType = digest.algorithm;
			expectedChecksum = digest.hex;
		}
	} else {
		if (!blank(input.checksumType)) {
			const alg = parseAlgorithmName(input.checksumType!);
			if (alg) checksumType = alg;
			else problems.push({field: 'checksum_type', message: `checksum_type: "${input.checksumType}" is not one of md5, sha1, sha224, sha256, sha384, sha512, blake2b512`});
		}

		if (!blank(input.checksumUrl)) {
			const parsed = httpUrlSchema('checksum_url').safeParse(input.checksumUrl!.trim());
			// The parsed, WHATWG-normalised href (control and bidi characters percent-encoded), never the raw text.
			if (parsed.success) checksumUrl = parsed.data;
			else problems.push({field: 'checksum_url', message: parsed.error.issues[0]?.message ?? 'checksum_url: not a valid http(s) URL'});
		}
	}

	return problems.length === before ? {checksumUrl, checksumType, expectedChecksum} : undefined;
}

export type SignatureFields = Pick<NewImage, 'signatureUrl' | 'signingKey' | 'requireSignature'>;

/** The signature URL, the pinned key (resolved against the keyring) and the requirement, every problem collected. */
export function resolveSignature(
	input: Pick<AddInput, 'signatureUrl' | 'key' | 'requireSignature' | 'checksumUrl'>,
	context: AddContext,
	problems: FieldProblem[],
): SignatureFields | undefined {
	const before = problems.length;
	let signatureUrl: string | null = null;
	if (!blank(input.signatureUrl)) {
		const parsed = httpUrlSchema('signature_url').safeParse(input.signatureUrl!.trim());
		if (parsed.success) signatureUrl = input.signatureUrl!.trim();
		else problems.push({field: 'signature_url', message: parsed.error.issues[0]?.message ?? 'signature_url: not a valid http(s) URL'});
	}

	let signingKey: string | null = null;
	if (!blank(input.key)) {
		if (context.resolveKey) signingKey = collect(problems, 'key', () => context.resolveKey!(input.key!.trim())) ?? null;
		else problems.push({field: 'key', message: 'key: the keyring is not available here'});
	}

	const requireSignature = Boolean(input.requireSignature || context.requireSignature);
	if ((requireSignature || !blank(input.key)) && blank(input.signatureUrl) && blank(input.checksumUrl)) {
		problems.push({
			field: 'signature_url',
			message: `signature_url: ${blank(input.key) ? '--require-signature' : '--key'} needs something to be signed: a --signature-url, or a --checksum-url whose file is clear-signed`,
		});
	}

	return problems.length === before ? {signatureUrl, signingKey, requireSignature} : undefined;
}

/** Validate everything and build the row to insert (no I/O). Throws ValidationError listing every bad field. */
export function prepareAdd(input: AddInput, context: AddContext = {}): NewImage {
	const problems: FieldProblem[] = [];
	const spec = resolveSpec(input, problems);
	const checksum = resolveChecksum(input, problems);
	const maxRate = blank(input.maxRate) ? 0 : collect(problems, 'max_rate', () => parseRate(input.maxRate!, 'max_rate'));
	const signature = resolveSignature(input, context, problems);
	if (!spec || !checksum || maxRate === undefined || !signature || problems.length > 0) throw new ValidationError(problems);
	return {...identityOfSpec(spec), downloadUrl: input.url.trim(), ...checksum, ...signature, maxRate: maxRate === 0 ? null : maxRate};
}

/** The row's identity and path fields from a resolved spec. */
export function identityOfSpec(spec: ImageSpec): Pick<NewImage, 'name' | 'version' | 'arch' | 'edition' | 'fileType' | 'filename' | 'filePath'> {
	return {name: spec.name, version: spec.version, arch: spec.arch, edition: spec.edition, fileType: spec.fileType, filename: spec.filename, filePath: spec.relativePath};
}
