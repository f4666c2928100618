/**
 * Naming rules of the library: what a name, version, arch and edition may be, what a URL says about
 * the file it points to, and the one place a relative path under `<data>/images/` is built and checked.
 *
 * Every entry point (CLI `add`, the TUI add form, the manager) validates through the schemas below, so a value
 * is accepted or rejected with the same message everywhere. Schema messages are complete user messages: they start
 * with the field name and state the rule (`version: "1 2" must match …`). Functions throw `IsomanError` with code
 * `invalid` and `field` set.
 */
import path from 'node:path';
import {expectString, refuse, schema, type Schema} from './rule.js';
import {IsomanError} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Limits and vocabulary

const LIMITS = {name: 100, version: 50, arch: 20, edition: 50, url: 8192} as const;

/** The rule for version, arch and edition. */
export const PART_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const PART_RULE = `must match ${PART_PATTERN.source} (letters, digits, . _ + -; no spaces or slashes)`;

export const IMAGE_TYPES = ['iso', 'qcow2', 'img', 'raw', 'vmdk', 'vdi', 'vhd', 'vhdx'] as const;
const COMPRESSIONS = ['xz', 'gz', 'zst', 'bz2'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const SUPPORTED_TYPES_TEXT = `${IMAGE_TYPES.map(t => '.' + t).join(', ')}, optionally followed by ${COMPRESSIONS.map(c => '.' + c).join(', ')}`;

export type Field = 'url' | 'name' | 'version' | 'arch' | 'edition' | 'type';
export const FIELDS: readonly Field[] = ['url', 'name', 'version', 'arch', 'edition', 'type'];

/** Spellings of an architecture (lower case) → the canonical name used in paths. */
const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([
	['x86_64', 'x86_64'],
	['x86-64', 'x86_64'],
	['amd64', 'x86_64'],
	['x64', 'x86_64'],
	['aarch64', 'aarch64'],
	['arm64', 'aarch64'],
	['i386', 'i686'],
	['i486', 'i686'],
	['i586', 'i686'],
	['i686', 'i686'],
	['x86', 'i686'],
	['armhf', 'armv7'],
	['armv7', 'armv7'],
	['armv7l', 'armv7'],
	['armv7h', 'armv7'],
	['armv7hl', 'armv7'],
	['ppc64le', 'ppc64le'],
	['ppc64el', 'ppc64le'],
	['s390x', 's390x'],
	['riscv64', 'riscv64'],
	['loongarch64', 'loongarch64'],
]);

const DEFAULT_ARCH = 'x86_64';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/**
 * A value quoted for a message: JSON-escaped (control characters and lone surrogates visible) and cut, never inside
 * an escape or a character, so that the text between the quotes is at most `max` characters.
 */
export function quote(value: unknown, max = 60): string {
	const s = typeof value === 'string' ? value : String(value);
	const inner = JSON.stringify(s.slice(0, max + 1)).slice(1, -1);
	let out = '';
	for (const m of inner.matchAll(/\\u[0-9a-fA-F]{4}|\\.|[^\\]/gsu)) {
		if (out.length + m[0].length > max) return `"${out}…"`;
		out += m[0];
	}

	return s.length > max + 1 ? `"${out}…"` : `"${out}"`;
}

function invalid(field: string, message: string): IsomanError {
	return new IsomanError('invalid', message.startsWith(`${field}:`) ? message : `${field}: ${message}`, field);
}

/** Parses `value` with `schema`; on failure throws `IsomanError('invalid', <first issue's message>, field)`. */
export function parseField<T>(rule: Schema<T>, field: Field, value: unknown): T {
	const result = rule.safeParse(value);
	if (result.success) return result.data;
	throw invalid(field, result.error.issues[0]?.message ?? 'is not valid');
}

/** The message a form shows under a field, or null when the value is acceptable. */
export function fieldProblem(field: Exclude<Field, 'type'>, value: unknown): string | null {
	const rule = {url: urlSchema, name: nameSchema, version: versionSchema, arch: archSchema, edition: editionSchema}[field];
	const result = rule.safeParse(value);
	return result.success ? null : (result.error.issues[0]?.message ?? `${field}: is not valid`);
}

/** Decodes `%XX` runs that form valid UTF-8; leaves malformed escapes as they are. */
function percentDecode(s: string): string {
	return s.replaceAll(/(?:%[0-9A-Fa-f]{2})+/g, run => {
		try {
			return decodeURIComponent(run);
		} catch {
			return run;
		}
	});
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas

/** Trimmed, 1..max characters (the message says how many were given). */
function bounded(field: string, value: unknown, max: number): string {
	const s = expectString(value, `${field}: must be a string`).trim();
	if (s === '') return refuse(`${field}: must not be empty`);
	return s.length > max ? refuse(`${field}: must be at most ${max} characters (got ${s.length})`) : s;
}

function partRule(field: 'version' | 'arch' | 'edition') {
	return (value: unknown): string => {
		const s = bounded(field, value, LIMITS[field]);
		if (!PART_PATTERN.test(s)) return refuse(`${field}: ${quote(s)} ${PART_RULE}`);
		return s.includes('..') ? refuse(`${field}: ${quote(s)} must not contain ".."`) : s;
	};
}

/** A version: trimmed, 1–50 characters of `[A-Za-z0-9._+-]` starting with a letter or digit, no `..`. */
export const versionSchema = schema(partRule('version'));
/** An edition (netinst, live-server, …): same rule as the version, ≤ 50 characters. */
export const editionSchema = schema(partRule('edition'));
/** An architecture: validated (same rule, ≤ 20 characters), then canonicalised (`amd64` → `x86_64`; unknown values kept as given). */
const archRule = partRule('arch');
export const archSchema = schema(value => canonicalArch(archRule(value)));

/** The normalised name, or why there is none. */
function normaliseNameResult(raw: string): {ok: true; value: string} | {ok: false; message: string} {
	const trimmed = raw.trim();
	if (trimmed.length > LIMITS.name) {
		return {ok: false, message: `name: must be at most ${LIMITS.name} characters (got ${trimmed.length})`};
	}

	const value = trimmed
		.replaceAll(/[A-Z]/g, c => c.toLowerCase())
		.replaceAll(/[\s./_]/g, '-')
		.replaceAll(/[^a-z0-9-]/g, '')
		.replaceAll(/-+/g, '-')
		.replaceAll(/^-|-$/g, '');
	if (value === '') {
		return {
			ok: false,
			message:
				trimmed === ''
					? 'name: must not be empty'
					: `name: ${quote(trimmed)} has no letters or digits (a-z, 0-9) to make a name from`,
		};
	}

	return {ok: true, value};
}

/** A name: ≤ 100 characters (after trimming), then normalised; outputs the normalised name. */
export const nameSchema = schema(value => {
	const result = normaliseNameResult(expectString(value, 'name: must be a string'));
	return result.ok ? result.value : refuse(result.message);
});

/**
 * An http(s) URL with a host; outputs the WHATWG-normalised `href`. Messages start with `field` (`url` here; a
 * checksum URL can use `httpUrlSchema('checksum_url')`).
 */
export function httpUrlSchema(field: string): Schema<string> {
	return schema(value => {
		const raw = bounded(field, value, LIMITS.url);
		let url: URL;
		try {
			url = new URL(raw);
		} catch {
			return refuse(`${field}: ${quote(raw)} is not a valid URL (expected http://… or https://…)`);
		}

		if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(`${field}: only http and https URLs are supported, not ${quote(url.protocol)}`);
		if (url.hostname === '') return refuse(`${field}: ${quote(raw)} has no host`);
		return url.href;
	});
}

/** The image URL: http or https, parseable, with a host; outputs the WHATWG-normalised `href`. */
export const urlSchema = httpUrlSchema('url');

// ---------------------------------------------------------------------------------------------------------------
// Names and architectures

/**
 * name rule: lowercased (ASCII); whitespace, `.`, `/`, `_` → `-`; anything outside `[a-z0-9-]` dropped;
 * runs of `-` collapsed; trimmed of `-`. Throws when the trimmed input exceeds 100 characters or nothing is left.
 */
export function normaliseName(raw: string): string {
	return parseField(nameSchema, 'name', raw);
}

function canonicalArch(valid: string): string {
	return ARCH_ALIASES.get(valid.toLowerCase()) ?? valid;
}

/**
 * Validates an architecture (part rule, ≤ 20) and maps known spellings to the canonical one:
 * x86_64/amd64/x64/x86-64 → x86_64, aarch64/arm64 → aarch64, i386…i686/x86 → i686, armhf/armv7* → armv7,
 * ppc64el → ppc64le; s390x, riscv64, loongarch64 unchanged. Known spellings match case-insensitively; unknown
 * values are kept exactly as given (trimmed).
 */
export function normaliseArch(s: string): string {
	return parseField(archSchema, 'arch', s);
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens of a file name

type Token = {text: string; sep: string};

/** Splits on runs of `-`, `_`, `.` and whitespace; each token remembers the delimiters before it. */
function tokenise(s: string): Token[] {
	// split() with a capture group alternates token, delimiters, token, …; linear even on hostile input.
	const parts = s.split(/([-_.\s]+)/);
	const tokens: Token[] = [];
	for (let i = 0; i < parts.length; i += 2) {
		const text = parts[i] ?? '';
		if (text !== '') tokens.push({text, sep: parts[i - 1] ?? ''});
	}

	return tokens;
}

/** Marks architecture tokens (`x86` + `64` joined by `_` or `-` count as one) and returns the first one's canonical name. */
function markArch(tokens: Token[]): {arch: string | null; isArch: boolean[]} {
	const isArch = tokens.map(() => false);
	let arch: string | null = null;
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i]!;
		const next = tokens[i + 1];
		let found: string | undefined;
		if (token.text.toLowerCase() === 'x86' && next?.text === '64' && (next.sep === '_' || next.sep === '-')) {
			found = 'x86_64';
			isArch[i + 1] = true;
		} else {
			found = ARCH_ALIASES.get(token.text.toLowerCase());
		}

		if (found !== undefined) {
			isArch[i] = true;
			arch ??= found;
			if (found === 'x86_64' && isArch[i + 1]) i++;
		}
	}

	return {arch, isArch};
}

function splitExtension(basename: string): {stem: string; fileType: string; compression: Compression | null} | null {
	const m = /\.([A-Za-z0-9]+)(?:\.(xz|gz|zst|bz2))?$/i.exec(basename);
	if (!m) return null;
	const type = m[1]!.toLowerCase();
	if (!(IMAGE_TYPES as readonly string[]).includes(type)) return null;
	const compression = (m[2]?.toLowerCase() ?? null) as Compression | null;
	return {stem: basename.slice(0, m.index), fileType: compression ? `${type}.${compression}` : type, compression};
}

/**
 * The image type of a file name (`iso`, `qcow2.xz`, lower case) and its compression, or null when the extension
 * is not one of the supported types.
 */
export function fileTypeOf(basename: string): {fileType: string; compression: Compression | null} | null {
	const split = splitExtension(basename);
	return split ? {fileType: split.fileType, compression: split.compression} : null;
}

// ---------------------------------------------------------------------------------------------------------------
// URL detection

export type UrlDetection = {
	/** Last segment of the URL path, percent-decoded (a `%2F` stays inside the basename). */
	basename: string;
	fileType: string;
	compression: Compression | null;
	arch: string | null;
};

/**
 * What a URL's path says about the file: basename, type, compression and architecture. The query and fragment are
 * ignored. Throws `IsomanError` (field `url`) for a URL `urlSchema` rejects or whose path has no file name, and
 * (field `type`) for an extension that is not a supported image type.
 */
/** What can stand in for what a URL does not say: its type (explicit, wins) and a file name (when it has none). */
export type UrlHints = {
	/** `iso`, `.qcow2`, `img.xz`: the image type, whatever the URL's extension says. */
	type?: string | null;
	/**
	 * A file name from elsewhere (the server's Content-Disposition or redirect target, sanitised; an image's stored
	 * file name on edit): used when the URL's last segment has no supported extension.
	 */
	fileName?: string | null;
};

/** `iso`, `.ISO`, `qcow2.xz` → the canonical type; throws IsomanError (field `type`) for anything else. */
export function parseFileType(type: string): string {
	const split = splitExtension(`x.${type.trim().replace(/^\./, '')}`);
	if (!split || split.stem !== 'x') throw invalid('type', `type: ${quote(type)} is not an image type; supported: ${SUPPORTED_TYPES_TEXT}`);
	return split.fileType;
}

/**
 * The file name (last path segment), image type and compression a URL tells, plus an architecture from the file
 * name or, failing that, from a directory of the path (`…/x86_64/images/boot.iso`). `hints` fill in what the URL
 * does not say (`…/download?id=42`). Throws IsomanError (field `url` or `type`).
 */
export function detectFromUrl(url: string, hints: UrlHints = {}): UrlDetection {
	const href = parseField(urlSchema, 'url', url);
	const segments = new URL(href).pathname.split('/');
	const rawBase = segments.pop() ?? '';
	let basename = percentDecode(rawBase);
	const fallback = hints.fileName?.trim() ? hints.fileName.trim() : undefined;
	if (fallback && !splitExtension(basename)) basename = fallback;
	const explicit = given(hints.type ?? undefined) ? parseFileType(hints.type!) : undefined;
	if (basename === '') {
		if (!explicit) throw invalid('url', `url: the path of ${quote(href, 120)} does not end in a file name (such as …/image.iso); give --type, --name and --version`);
		basename = `image.${explicit}`;
	}

	const split = splitExtension(basename);
	if (!split && !explicit) {
		throw invalid('type', `type: cannot tell the image type from ${quote(basename)}; give --type (supported: ${SUPPORTED_TYPES_TEXT})`);
	}

	const fileType = explicit ?? split!.fileType;
	const compression = explicit ? (splitExtension(`x.${explicit}`)?.compression ?? null) : split!.compression;
	let arch = markArch(tokenise(basename)).arch;
	for (let i = segments.length - 1; arch === null && i >= 0; i--) {
		arch = markArch(tokenise(percentDecode(segments[i]!))).arch;
	}

	return {basename, fileType, compression, arch};
}

// ---------------------------------------------------------------------------------------------------------------
// Inference from a file name

export type Inferred = {name?: string; version?: string; arch?: string; edition?: string};

/** Version qualifiers that stay with the version when joined by `-`/`_` (`14.1-RELEASE`, `2.0-rc1`). */
const VERSION_QUALIFIER = /^(?:release|current|stable|prerelease|alpha\d*|beta\d*|rc\d*)$/i;

/**
 * Words that name the kind of medium rather than the product. Before the version (and not the first word) they
 * move from the name to the front of the edition: `Fedora-Server-netinst-…` → name fedora-server, edition netinst.
 */
const MEDIUM_WORDS = new Set(['netinst', 'netboot', 'live', 'dvd', 'dvd1', 'boot', 'bootonly', 'minimal', 'mini', 'disc1', 'memstick']);

/**
 * Best-effort name/version/arch/edition from a well-known file name. The extension is dropped; the name is cut into
 * tokens at `-`, `_`, `.` and whitespace; architecture tokens are removed (the first gives `arch`); the first token starting
 * with a digit begins the version, which continues through `.`-joined tokens, `-`/`_`-joined all-digit tokens
 * (`41-1.4`) and qualifiers (`14.1-RELEASE`); tokens before it form the name, tokens after it the edition. Every
 * part returned passes its schema (name normalised, edition lower-cased); a part that would not is left out.
 */
export function inferFromFilename(basename: string): Inferred {
	const split = splitExtension(basename);
	const stem = split ? split.stem : basename.replace(/\.[A-Za-z][A-Za-z0-9]{0,4}$/, '');
	const tokens = tokenise(stem);
	const {arch, isArch} = markArch(tokens);

	const start = tokens.findIndex((t, i) => !isArch[i] && /^[0-9]/.test(t.text));
	let end = start === -1 ? tokens.length : start + 1;
	if (start !== -1) {
		while (end < tokens.length && !isArch[end]) {
			const t = tokens[end]!;
			const joined = t.sep === '.' || ((t.sep === '-' || t.sep === '_') && (/^[0-9]+$/.test(t.text) || VERSION_QUALIFIER.test(t.text)));
			if (!joined) break;
			end++;
		}
	}

	const nameWords: string[] = [];
	const editionWords: string[] = [];
	for (let i = 0; i < (start === -1 ? tokens.length : start); i++) {
		if (isArch[i]) continue;
		const text = tokens[i]!.text;
		if (nameWords.length > 0 && MEDIUM_WORDS.has(text.toLowerCase())) editionWords.push(text);
		else nameWords.push(text);
	}

	let edition = editionWords.join('-');
	let previous = -1;
	for (let i = end; i < tokens.length; i++) {
		if (isArch[i]) continue;
		const t = tokens[i]!;
		if (edition !== '') edition += previous === i - 1 && (t.sep === '_' || t.sep === '.') ? t.sep : '-';
		edition += t.text;
		previous = i;
	}

	const result: Inferred = {};
	const name = nameSchema.safeParse(nameWords.join('-'));
	if (nameWords.length > 0 && name.success) result.name = name.data;
	if (start !== -1) {
		const version = versionSchema.safeParse(tokens.slice(start, end).map((t, i) => (i === 0 ? '' : t.sep) + t.text).join(''));
		if (version.success) result.version = version.data;
	}

	if (arch !== null) result.arch = arch;
	const ed = editionSchema.safeParse(edition.toLowerCase());
	if (edition !== '' && ed.success) result.edition = ed.data;
	return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The image spec and its path

export type ImageSpecInput = {url: string; name?: string; version?: string; arch?: string; edition?: string | null} & UrlHints;

export type ImageSpec = {
	name: string;
	version: string;
	arch: string;
	edition: string | null;
	fileType: string;
	/** `<name>-<version>[-<edition>]-<arch>.<fileType>` */
	filename: string;
	/** `<name>/<version>/<arch>/<filename>`, POSIX separators, relative to `<data>/images/`. */
	relativePath: string;
};

/** Absent: undefined, null or blank. Anything else (including a non-string from a script) goes to its schema. */
const given = (v: unknown): boolean => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/**
 * Validates an add request and builds the file's name and relative path. Fields the user gives win over
 * what the URL's file name says; a blank (or absent) name/version/arch counts as not given. Edition: `undefined` →
 * inferred, `null` or blank → none. Name and version are required when they cannot be inferred; arch defaults to
 * the URL's, else `x86_64`. Throws `IsomanError('invalid', …, field)`.
 */
export function resolveImageSpec(input: ImageSpecInput): ImageSpec {
	const detected = detectFromUrl(input.url, input);
	const inferred = inferFromFilename(detected.basename);
	const from = quote(detected.basename);

	const name = given(input.name) ? parseField(nameSchema, 'name', input.name) : inferred.name;
	if (name === undefined) throw invalid('name', `name: cannot be told from ${from}; give --name`);
	const version = given(input.version) ? parseField(versionSchema, 'version', input.version) : inferred.version;
	if (version === undefined) throw invalid('version', `version: cannot be told from ${from}; give --version`);
	const arch = given(input.arch) ? parseField(archSchema, 'arch', input.arch) : (detected.arch ?? inferred.arch ?? DEFAULT_ARCH);
	const edition =
		input.edition === undefined
			? (inferred.edition ?? null)
			: input.edition === null || (typeof input.edition === 'string' && input.edition.trim() === '')
				? null
				: parseField(editionSchema, 'edition', input.edition);

	const filename = `${name}-${version}${edition === null ? '' : `-${edition}`}-${arch}.${detected.fileType}`;
	return {
		name,
		version,
		arch,
		edition,
		fileType: detected.fileType,
		filename,
		relativePath: `${name}/${version}/${arch}/${filename}`,
	};
}

/** Name of the directory under `<data>/images/` that holds partial downloads. */
export const TEMP_DIR = '.tmp';

/**
 * The absolute path of `relativePath` under `imagesRoot`. Throws `IsomanError` (field `path`) unless it is relative,
 * has no `..` segment or NUL, and resolves strictly inside `imagesRoot` and outside `imagesRoot/.tmp`.
 */
export function resolveInside(imagesRoot: string, relativePath: string): string {
	const reject = (why: string) => invalid('path', `path: ${quote(relativePath, 120)} ${why}`);
	if (typeof relativePath !== 'string' || relativePath === '') throw reject('is empty');
	if (relativePath.includes('\0')) throw reject('contains a NUL character');
	if (path.isAbsolute(relativePath) || path.posix.isAbsolute(relativePath)) throw reject('must be relative to the images directory');
	if (relativePath.split(/[/\\]/).includes('..')) throw reject('must not contain ".."');

	const root = path.resolve(imagesRoot);
	const absolute = path.resolve(root, relativePath);
	const relative = path.relative(root, absolute);
	if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
		throw reject('is not inside the images directory');
	}

	if ((relative.split(path.sep)[0] ?? '').toLowerCase() === TEMP_DIR) throw reject(`is inside ${TEMP_DIR}/, which holds only partial downloads`);
	return absolute;
}
