/**
 * fast-check generators of random and hostile add requests, and the checks every outcome must pass. Shared by
 * naming.property.test.ts and any test that routes the same inputs through another entry point (manager add, CLI).
 * Nothing here imports vitest: the checks throw plain Errors.
 */
import path from 'node:path';
import fc from 'fast-check';
import {FIELDS, PART_PATTERN, type ImageSpec, type ImageSpecInput} from '../../source/core/naming.js';
import {IsomanError} from '../../source/core/types.js';

/** Pieces that have broken path builders before: traversal, separators, encodings, control and odd unicode. */
export const HOSTILE_FRAGMENTS = [
	'../', '..', '/', '\\', '..\\', '//', '/etc/passwd', '.tmp', '.tmp/', '~', '$HOME', 'C:\\',
	'%2F', '%2f', '%2F..%2F', '%2E%2E', '%2e%2e%2f', '%5C', '%00', '%', '%ZZ', '%E6', '%F0%9F%90%89',
	'\0', '\n', '\r', '\t', '\u0001', '\u001b[31m', '\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', '\u200b', '\ufeff',
	'é', 'Ä', '\u212a', 'İ', 'ß', '日本', '😀', '\ud800', '\udfff',
	' ', '?', '#', '&', '=', ':', '@', '*', '"', "'", '<', '>', '|', '.', '-', '_', '+', '--', '..-',
	'x86_64', 'x86', '64', 'amd64', 'arm64', 'i386', 'armhf', 'ppc64el',
	'1', '1.0', '41-1.4', '2024.11.01', 'RELEASE', 'rc1', 'netinst', 'live', 'server', 'a', 'Z', '9',
	'iso', '.iso', '.qcow2.xz', '.ISO', '.img.gz', 'CON', 'nul',
] as const;

export const fragmentArb: fc.Arbitrary<string> = fc.oneof(
	{weight: 6, arbitrary: fc.constantFrom(...HOSTILE_FRAGMENTS)},
	{weight: 2, arbitrary: fc.string({maxLength: 3})},
	{weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 3})},
);

/** 1,000–10,240 characters made by repeating a fragment (a 10 KB `../../`, `%2F..`, `é` …). */
export const longStringArb: fc.Arbitrary<string> = fc
	.tuple(
		fc.oneof(fragmentArb, fc.string({unit: 'binary', minLength: 1, maxLength: 8})).filter(s => s.length > 0),
		fc.integer({min: 1000, max: 10_240}),
	)
	.map(([fragment, length]) => fragment.repeat(Math.ceil(length / fragment.length)).slice(0, length));

/** Any string a hostile or careless user might type. */
export const hostileStringArb: fc.Arbitrary<string> = fc.oneof(
	{weight: 5, arbitrary: fc.array(fragmentArb, {maxLength: 8}).map(parts => parts.join(''))},
	{weight: 2, arbitrary: fc.string({maxLength: 30})},
	{weight: 2, arbitrary: fc.string({unit: 'binary', maxLength: 30})},
	{weight: 1, arbitrary: fc.string({unit: 'grapheme', maxLength: 10})},
	{weight: 1, arbitrary: fc.constantFrom('', ' ', '.', '..', '/etc/passwd', '../../../../etc/passwd', '.tmp', '.tmp/x', '%2F..%2F..%2Fetc', '\0', 'a\0b')},
	{weight: 1, arbitrary: longStringArb},
);

/** Values that pass the part rule, so that acceptance is exercised too. */
export const plausiblePartArb: fc.Arbitrary<string> = fc.oneof(
	fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}$/),
	fc.constantFrom('1', '3.20.3', '14.1-RELEASE', 'x86_64', 'amd64', 'arm64', 'netinst', 'live-server', 'A+b_c'),
);

/** A field value: absent, plausible (sometimes padded), or hostile. */
export const fieldValueArb: fc.Arbitrary<string | undefined> = fc.oneof(
	{weight: 3, arbitrary: fc.constant(undefined)},
	{weight: 3, arbitrary: plausiblePartArb},
	{weight: 1, arbitrary: plausiblePartArb.map(s => ` ${s}\t`)},
	{weight: 3, arbitrary: hostileStringArb},
);

export const WELL_KNOWN_STEMS = [
	'alpine-standard-3.20.3-x86_64',
	'debian-12.7.0-amd64-netinst',
	'ubuntu-24.04.1-live-server-amd64',
	'Fedora-Server-netinst-x86_64-41-1.4',
	'FreeBSD-14.1-RELEASE-amd64-disc1',
	'archlinux-2024.11.01-x86_64',
	'Rocky-9.4-x86_64-minimal',
	'debian-12-generic-amd64',
	'noble-server-cloudimg-amd64',
	'x',
	'',
] as const;

const EXTENSIONS = ['.iso', '.ISO', '.qcow2', '.qcow2.xz', '.QCOW2.ZST', '.img', '.img.gz', '.raw.bz2', '.vmdk', '.vdi', '.vhd', '.vhdx', '.exe', '.tar.gz', '.iso.part', '', '.', '.iso%00', '%2Eiso', '.iso/'] as const;

/** A URL segment: plausible, raw hostile, or percent-encoded hostile. */
const segmentArb: fc.Arbitrary<string> = fc.oneof(
	{weight: 3, arbitrary: fc.constantFrom('pub', 'releases', 'x86_64', 'amd64', 'aarch64', 'iso-cd', 'v3.20', '41', '..', '.', '.tmp', '')},
	{weight: 2, arbitrary: hostileStringArb.map(s => s.slice(0, 40))},
	{weight: 2, arbitrary: hostileStringArb.map(s => encodeURIComponentLoose(s.slice(0, 40)))},
);

/** encodeURIComponent that does not throw on lone surrogates (it keeps them raw). */
function encodeURIComponentLoose(s: string): string {
	try {
		return encodeURIComponent(s);
	} catch {
		return s;
	}
}

const stemArb: fc.Arbitrary<string> = fc.oneof(
	{weight: 3, arbitrary: fc.constantFrom(...WELL_KNOWN_STEMS)},
	{weight: 3, arbitrary: fc.tuple(plausiblePartArb, fc.constantFrom('-', '_', '.', ' '), plausiblePartArb).map(([a, s, b]) => a + s + b)},
	{weight: 2, arbitrary: hostileStringArb.map(s => s.slice(0, 200))},
	{weight: 2, arbitrary: hostileStringArb.map(s => encodeURIComponentLoose(s.slice(0, 200)))},
	{weight: 1, arbitrary: longStringArb},
);

/** A URL that is mostly well-formed (so detection and inference run) with hostile parts. */
export const structuredUrlArb: fc.Arbitrary<string> = fc
	.record({
		scheme: fc.constantFrom('https://', 'https://', 'http://', 'HTTP://', 'ftp://', 'file://', 'javascript:', '//', ''),
		host: fc.constantFrom('example.com', 'localhost:8080', '127.0.0.1', '[::1]', 'user:pw@example.com', 'xn--bcher-kva.example', '', 'exa mple.com', '..'),
		segments: fc.array(segmentArb, {maxLength: 4}),
		stem: stemArb,
		extension: fc.constantFrom(...EXTENSIONS),
		query: fc.option(fc.oneof(fc.constant('download=1'), hostileStringArb.map(s => s.slice(0, 50))), {nil: undefined}),
		fragment: fc.option(fc.oneof(fc.constant('frag'), hostileStringArb.map(s => s.slice(0, 50))), {nil: undefined}),
	})
	.map(
		({scheme, host, segments, stem, extension, query, fragment}) =>
			`${scheme}${host}/${[...segments, stem + extension].join('/')}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`,
	);

/** An http(s) URL with a supported extension whose other parts may still be hostile (query, fragment, segments, stem). */
export const plausibleUrlArb: fc.Arbitrary<string> = fc
	.record({
		scheme: fc.constantFrom('https://', 'http://'),
		host: fc.constantFrom('example.com', 'localhost:8080', '127.0.0.1', '[::1]', 'mirror.example.org'),
		segments: fc.array(segmentArb, {maxLength: 4}),
		stem: stemArb,
		extension: fc.constantFrom('.iso', '.ISO', '.qcow2', '.qcow2.xz', '.QCOW2.ZST', '.img', '.img.gz', '.raw.bz2', '.vmdk', '.vdi', '.vhd', '.vhdx'),
		query: fc.option(fc.oneof(fc.constant('download=1'), hostileStringArb.map(s => s.slice(0, 50))), {nil: undefined}),
		fragment: fc.option(fc.oneof(fc.constant('frag'), hostileStringArb.map(s => s.slice(0, 50))), {nil: undefined}),
	})
	.map(
		({scheme, host, segments, stem, extension, query, fragment}) =>
			`${scheme}${host}/${[...segments.map(encodeURIComponentLoose), encodeURIComponentLoose(stem) + extension].join('/')}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`,
	);

export const urlArb: fc.Arbitrary<string> = fc.oneof(
	{weight: 4, arbitrary: plausibleUrlArb},
	{weight: 8, arbitrary: structuredUrlArb},
	{weight: 1, arbitrary: hostileStringArb},
	{weight: 1, arbitrary: fc.webUrl({withQueryParameters: true, withFragments: true})},
);

/** Mostly absent or valid, sometimes hostile: inputs that often get through, so acceptance is tested hard. */
export const mostlyValidFieldArb: fc.Arbitrary<string | undefined> = fc.oneof(
	{weight: 4, arbitrary: fc.constant(undefined)},
	{weight: 5, arbitrary: plausiblePartArb},
	{weight: 1, arbitrary: plausiblePartArb.map(s => ` ${s}\t`)},
	{weight: 1, arbitrary: hostileStringArb},
);

const inputRecord = (url: fc.Arbitrary<string>, field: fc.Arbitrary<string | undefined>) =>
	fc.record({
		url,
		name: fc.oneof(field, fc.array(fragmentArb, {maxLength: 6}).map(p => p.join(''))),
		version: field,
		arch: field,
		edition: fc.oneof({weight: 1, arbitrary: fc.constant(null)}, {weight: 5, arbitrary: field}),
	});

/** A whole add request as `resolveImageSpec` (and the manager's add) takes it: half hostile, half mostly valid. */
export const imageSpecInputArb: fc.Arbitrary<ImageSpecInput> = fc
	.oneof(inputRecord(urlArb, fieldValueArb), inputRecord(plausibleUrlArb, mostlyValidFieldArb))
	.map(({url, name, version, arch, edition}) => {
		const input: ImageSpecInput = {url};
		if (name !== undefined) input.name = name;
		if (version !== undefined) input.version = version;
		if (arch !== undefined) input.arch = arch;
		if (edition !== undefined) input.edition = edition;
		return input;
	});

// ---------------------------------------------------------------------------------------------------------------
// Checks (throw on violation)

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * A rejection must be an IsomanError with code `invalid`, a field among `fields`, and a message starting with
 * `<field>: `.
 */
export function checkRejection(error: unknown, fields: readonly string[] = FIELDS): void {
	if (!(error instanceof IsomanError)) throw new Error(`rejection is not an IsomanError: ${String(error)}`, {cause: error});
	if (error.code !== 'invalid') throw new Error(`rejection code is ${error.code}, not invalid: ${error.message}`);
	if (error.field === undefined || !fields.includes(error.field)) throw new Error(`rejection field ${String(error.field)} not in ${fields.join(', ')}`);
	if (!error.message.startsWith(`${error.field}: `)) throw new Error(`message does not start with "${error.field}: ": ${JSON.stringify(error.message)}`);
	// Several bad fields are reported together (ValidationError): each one is held to the same rules.
	const problems = (error as {problems?: Array<{field: string; message: string}>}).problems ?? [{field: error.field, message: error.message}];
	for (const p of problems) {
		if (!fields.includes(p.field)) throw new Error(`rejection field ${p.field} not in ${fields.join(', ')}`);
		if (!p.message.startsWith(`${p.field}: `)) throw new Error(`message does not start with "${p.field}: ": ${JSON.stringify(p.message)}`);
		if (p.message.length > 400) throw new Error(`message is ${p.message.length} characters long`);
	}
}

/**
 * An accepted spec must be built from parts that pass the rules, and its absolute path (as `resolveInside` gave it)
 * must lie strictly inside `imagesRoot`, outside `.tmp`, exactly four levels down, with a file name ≤ 255 bytes
 * even with a sidecar suffix.
 */
export function checkAccepted(imagesRoot: string, spec: ImageSpec, absolute: string): void {
	const fail = (why: string) => {
		throw new Error(`${why}: ${JSON.stringify({spec, absolute})}`);
	};

	if (!NAME.test(spec.name) || spec.name.length > 100) fail('bad name');
	for (const [part, max] of [[spec.version, 50], [spec.arch, 20], [spec.edition ?? 'x', 50]] as const) {
		if (!PART_PATTERN.test(part) || part.includes('..') || part.length > max) fail(`bad part ${JSON.stringify(part)}`);
	}

	if (!/^(?:iso|qcow2|img|raw|vmdk|vdi|vhd|vhdx)(?:\.(?:xz|gz|zst|bz2))?$/.test(spec.fileType)) fail('bad type');
	const filename = `${spec.name}-${spec.version}${spec.edition === null ? '' : `-${spec.edition}`}-${spec.arch}.${spec.fileType}`;
	if (spec.filename !== filename) fail('filename not built from its parts');
	if (spec.relativePath !== `${spec.name}/${spec.version}/${spec.arch}/${filename}`) fail('relativePath not built from its parts');
	if (Buffer.byteLength(`${filename}.blake2b512`) > 255) fail('file name too long');

	const root = path.resolve(imagesRoot);
	const relative = path.relative(root, absolute);
	if (!path.isAbsolute(absolute)) fail('not absolute');
	if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) fail('outside the images root');
	const segments = relative.split(path.sep);
	if (segments[0] === '.tmp') fail('inside .tmp');
	if (segments.length !== 4 || segments.join('/') !== spec.relativePath) fail('not <name>/<version>/<arch>/<file>');
	if (absolute !== path.join(root, ...segments)) fail('not normalised');
}
