/**
 * The add form's state and rules, pure. The URL comes first; name, version, arch and edition are filled from it
 * as it is typed (the core's detectFromUrl/inferFromFilename) until the user edits them. The checksum field takes
 * either an http(s) URL (→ checksumUrl) or a digest `[alg:]hex` (→ checksum). Validation uses the core's schemas
 * while typing and `prepareAdd` (the very function `manager.add` runs) on submit; errors map to fields.
 */
import {detectFromUrl, fieldProblem, formatBytes, httpUrlSchema, inferFromFilename, IsomanError, parseDigestArg, parseFileType, type AddInput, type UrlCheck} from '../core/index.js';

export const FORM_FIELDS = ['url', 'type', 'name', 'version', 'arch', 'edition', 'checksum', 'signature', 'key'] as const;
export type FormField = (typeof FORM_FIELDS)[number];
export type ErrorField = FormField | 'form';

export const FIELD_LABELS: Record<FormField, string> = {
	url: 'URL',
	name: 'Name',
	version: 'Version',
	arch: 'Arch',
	edition: 'Edition',
	type: 'Type',
	checksum: 'Checksum',
	signature: 'Signature',
	key: 'Key',
};

export const FIELD_PLACEHOLDERS: Record<FormField, string> = {
	url: 'https://…/image.iso',
	type: 'from the URL (iso, qcow2, img, raw, vmdk, vdi, vhd, vhdx; .xz .gz .zst .bz2)',
	name: 'from the URL',
	version: 'from the URL',
	arch: 'x86_64',
	edition: 'none',
	checksum: 'checksum file URL, or [alg:]hex digest (optional)',
	signature: 'detached signature URL: SHA256SUMS.gpg/.sign/.asc (optional)',
	key: 'only this keyring key: fingerprint (optional)',
};

export type FormState = {
	values: Record<FormField, string>;
	/** Fields the user typed in: autofill leaves them alone. */
	edited: Readonly<Partial<Record<FormField, boolean>>>;
	focus: number;
	/** Fields the user has left at least once (their errors show). */
	visited: Readonly<Partial<Record<FormField, boolean>>>;
	/** Errors from the last submit (until the field changes). */
	submitErrors: Readonly<Partial<Record<ErrorField, string>>>;
	/** Type told by the URL (or the server's file name), or undefined. */
	fileType: string | undefined;
	/** The file name the server gave when the URL names none (from the URL check): stands in for it. */
	remoteName?: string;
	/** The URL check of `url` (HEAD or a ranged GET): under way, or what it found. */
	check?: {url: string; result?: UrlCheck};
	/** What is known of a signature next to the checksum URL (the proposal and whether a HEAD request found it). */
	signatureNote?: string;
	/** Where typing goes in the focused field (a character index, 0..length). */
	cursor: number;
	/** Set when the form edits an image (edit-form.ts): its id and the values it started with. */
	editing?: {id: string; original: Readonly<Record<FormField, string>>};
};

export function emptyForm(): FormState {
	return {
		values: {url: '', type: '', name: '', version: '', arch: '', edition: '', checksum: '', signature: '', key: ''},
		edited: {},
		visited: {},
		focus: 0,
		submitErrors: {},
		fileType: undefined,
		cursor: 0,
	};
}

const focusedField = (state: FormState): FormField => FORM_FIELDS[state.focus] ?? 'url';

/** The last path segment of what looks like a URL, even a half-typed one (query and fragment ignored). */
function rawBasename(url: string): string {
	const path = url.trim().replace(/[?#].*$/, '');
	const segment = path.slice(path.lastIndexOf('/') + 1);
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
}

/** Refill the fields the user has not edited from the URL (or the file name its server gave). */
function autofill(state: FormState): FormState {
	const url = state.values.url;
	let basename = rawBasename(url);
	if (state.remoteName && !/\.[a-z0-9]+$/i.test(basename)) basename = state.remoteName;
	let fileType: string | undefined;
	let detectedArch: string | null = null;
	try {
		const detected = detectFromUrl(url, {fileName: state.remoteName});
		basename = detected.basename;
		fileType = detected.fileType;
		detectedArch = detected.arch;
	} catch {
		// Half-typed or unsupported: infer what we can from the raw file name.
	}

	const inferred = /\.[a-z0-9]/i.test(basename) ? inferFromFilename(basename) : {};
	const suggestions: Record<'name' | 'version' | 'arch' | 'edition', string> = {
		name: inferred.name ?? '',
		version: inferred.version ?? '',
		arch: detectedArch ?? inferred.arch ?? '',
		edition: inferred.edition ?? '',
	};
	const values = {...state.values};
	for (const field of ['name', 'version', 'arch', 'edition'] as const) {
		if (!state.edited[field]) values[field] = suggestions[field];
	}

	if (!state.edited.type) values.type = fileType ?? '';

	return {...state, values, fileType};
}

function setValue(state: FormState, field: FormField, value: string): FormState {
	const submitErrors = {...state.submitErrors};
	delete submitErrors[field];
	delete submitErrors.form;
	if (field === 'url') delete submitErrors.type;
	const next: FormState = {...state, values: {...state.values, [field]: value}, edited: {...state.edited, [field]: true}, submitErrors};
	// A new URL: what the last check found no longer applies.
	return field === 'url' ? autofill({...next, remoteName: undefined, check: undefined}) : next;
}

const chars = (text: string) => [...text];
/** The cursor of the focused field, within its value. */
const cursorOf = (state: FormState) => Math.max(0, Math.min(state.cursor, chars(state.values[focusedField(state)]).length));

/** Replace the characters [from, to) of the focused field with `insert`; the cursor lands after the insert. */
function splice(state: FormState, from: number, to: number, insert: string): FormState {
	const field = focusedField(state);
	const value = chars(state.values[field]);
	const next = setValue(state, field, [...value.slice(0, from), ...chars(insert), ...value.slice(to)].join(''));
	return {...next, cursor: from + chars(insert).length};
}

/** Typed or pasted text into the focused field at the cursor (newlines and control characters dropped). */
export function typeText(state: FormState, text: string): FormState {
	const clean = text.replaceAll(/[\u0000-\u001f\u007f]/g, '');
	if (clean === '') return state;
	const at = cursorOf(state);
	return splice(state, at, at, clean);
}

/** Delete the character before the cursor. */
export function backspace(state: FormState): FormState {
	const at = cursorOf(state);
	return at === 0 ? state : splice(state, at - 1, at, '');
}

/** Ctrl-W: delete the word before the cursor (and the spaces or separators after it), as a shell does. */
export function deleteWord(state: FormState): FormState {
	const value = chars(state.values[focusedField(state)]);
	const at = cursorOf(state);
	let start = at;
	while (start > 0 && /[\s/?&=#.:_-]/.test(value[start - 1]!)) start--;
	while (start > 0 && !/[\s/?&=#.:_-]/.test(value[start - 1]!)) start--;
	return start === at ? state : splice(state, start, at, '');
}

export function clearField(state: FormState): FormState {
	return {...setValue(state, focusedField(state), ''), cursor: 0};
}

/** ←/→ (delta ±1), Home (-Infinity) and End (+Infinity) inside the focused field. */
export function moveCursor(state: FormState, delta: number): FormState {
	const length = chars(state.values[focusedField(state)]).length;
	const at = cursorOf(state);
	const to = delta === -Infinity ? 0 : delta === Infinity ? length : Math.max(0, Math.min(length, at + delta));
	return to === state.cursor ? state : {...state, cursor: to};
}

export function moveFocus(state: FormState, delta: number): FormState {
	const n = FORM_FIELDS.length;
	let focus = (((state.focus + delta) % n) + n) % n;
	// An edit cannot change the type (the file is what it is): its Type line is shown, never focused.
	if (state.editing && FORM_FIELDS[focus] === 'type') focus = (((focus + Math.sign(delta)) % n) + n) % n;
	return {...state, visited: {...state.visited, [focusedField(state)]: true}, focus, cursor: chars(state.values[FORM_FIELDS[focus]!]).length};
}

/** Whether anything was typed (Esc then asks before throwing it away). */
export function isFilled(state: FormState): boolean {
	return FORM_FIELDS.some(field => state.values[field].trim() !== '');
}

/** True when the value reads as an http(s) URL (then it is a checksum file's URL, else a digest). */
export function isHttpUrl(value: string): boolean {
	try {
		const url = new URL(value.trim());
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

/** What the form submits to `manager.add`. */
export function toAddInput(state: FormState): AddInput {
	const v = state.values;
	const checksum = v.checksum.trim();
	const input: AddInput = {url: v.url.trim(), name: v.name, version: v.version, arch: v.arch, edition: v.edition};
	// A type typed in overrules the URL's; one filled from the URL is the core's to tell again.
	if (state.edited.type && v.type.trim() !== '') input.type = v.type.trim();
	if (state.remoteName) input.fileName = state.remoteName;
	if (v.signature.trim() !== '') input.signatureUrl = v.signature.trim();
	if (v.key.trim() !== '') input.key = v.key.trim();
	if (checksum !== '') {
		if (isHttpUrl(checksum)) input.checksumUrl = checksum;
		else input.checksum = checksum;
	}

	return input;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The form field an IsomanError is about. */
function errorField(error: unknown): ErrorField {
	const field = error instanceof IsomanError ? error.field : undefined;
	switch (field) {
		case 'url':
		case 'name':
		case 'version':
		case 'arch':
		case 'edition':
		case 'type':
			return field;
		case 'checksum':
		case 'checksum_url':
		case 'checksum_type':
			return 'checksum';
		case 'signature_url':
			return 'signature';
		case 'key':
			return 'key';
		default:
			return 'form';
	}
}

/** Errors while typing: the same schemas as the core, for non-empty fields the user can see are done. */
export function liveErrors(state: FormState): Partial<Record<ErrorField, string>> {
	const errors: Partial<Record<ErrorField, string>> = {};
	const v = state.values;
	const focus = focusedField(state);
	// A URL being typed is incomplete by nature: its errors wait until the user leaves the field once.
	const show = (field: FormField) => v[field].trim() !== '' && !(field === 'url' && focus === 'url' && !state.visited.url);
	const typed = state.edited.type && v.type.trim() !== '' ? v.type : undefined;
	if (show('url')) {
		try {
			detectFromUrl(v.url, {type: typed, fileName: state.remoteName});
		} catch (error) {
			errors[errorField(error) === 'type' ? 'type' : 'url'] = message(error);
		}
	}

	if (typed !== undefined && !errors.type) {
		try {
			parseFileType(typed);
		} catch (error) {
			errors.type = message(error);
		}
	}

	for (const field of ['name', 'version', 'arch', 'edition'] as const) {
		if (!show(field)) continue;
		const problem = fieldProblem(field, v[field]);
		if (problem) errors[field] = problem;
	}

	if (show('checksum')) {
		const checksum = v.checksum.trim();
		try {
			if (isHttpUrl(checksum)) {
				const parsed = httpUrlSchema('checksum').safeParse(checksum);
				if (!parsed.success) errors.checksum = parsed.error.issues[0]?.message ?? 'checksum: not a valid URL';
			} else {
				parseDigestArg(checksum);
			}
		} catch (error) {
			errors.checksum = message(error);
		}
	}

	if (show('signature')) {
		const parsed = httpUrlSchema('signature_url').safeParse(v.signature.trim());
		if (!parsed.success) errors.signature = parsed.error.issues[0]?.message ?? 'signature_url: not a valid URL';
	}

	const all: Partial<Record<ErrorField, string>> = {...errors, ...state.submitErrors};
	for (const key of Object.keys(all) as ErrorField[]) all[key] = formMessage(all[key]!);
	return all;
}

/** The form's words for the CLI's: its fields by their labels, never a flag. */
const FLAG_WORDS: Record<string, string> = {
	'--type': 'a Type',
	'--name': 'a Name',
	'--version': 'a Version',
	'--arch': 'an Arch',
	'--edition': 'an Edition',
	'--checksum-url': 'a checksum file URL under Checksum',
	'--checksum': 'a digest under Checksum',
	'--checksum-type': 'the digest\'s algorithm under Checksum (sha256:…)',
	'--signature-url': 'a Signature URL',
	'--key': 'a Key',
	'--require-signature': 'a required signature',
};

/** The prefixes the core puts before a message (the field it is about): the form shows it under that field. */
const FIELD_PREFIX = /^(?:url|type|name|version|arch|edition|checksum|checksum_url|checksum_type|signature_url|key|max_rate): /;

/**
 * A core message as the form says it: without the field's name (it sits under the field), a character rule in words
 * instead of its pattern, and fields named by their labels where the CLI would name a flag.
 */
export function formMessage(text: string): string {
	return text
		.replace(FIELD_PREFIX, '')
		.replace(/must match \S+ \(([^)]*)\)/g, 'may use only $1')
		.replace(/;? ?give (--[a-z-]+(?:, --[a-z-]+)*(?: and --[a-z-]+)?)/g, (_, flags: string) => `: fill in ${flags.split(/, | and /).map(flag => FLAG_WORDS[flag] ?? 'that field').join(' and ')}`)
		.replace(/--[a-z][a-z-]*/g, flag => FLAG_WORDS[flag] ?? 'that field');
}

/** The URL to check (HEAD or a ranged GET) when focus has just left the URL field; else undefined. */
export function urlCheckFor(before: FormState, after: FormState): string | undefined {
	if (focusedField(before) !== 'url' || focusedField(after) === 'url') return undefined;
	const url = after.values.url.trim();
	if (url === '' || after.check?.url === url) return undefined;
	return httpUrlSchema('url').safeParse(url).success ? url : undefined;
}

/** The check is under way. */
export function withUrlCheckStarted(state: FormState, url: string): FormState {
	return {...state, check: {url}};
}

/**
 * What the URL check found: shown under the URL; a file name the server gives stands in for a URL that names
 * none (so name, version, arch and type fill from it). A stale answer (the URL changed since) is ignored.
 */
export function withUrlCheck(state: FormState, url: string, result: UrlCheck): FormState {
	if (state.values.url.trim() !== url) return state;
	const next: FormState = {...state, check: {url, result}};
	const urlNamesFile = /\.[a-z0-9]+$/i.test(rawBasename(url)) && detectsType(url);
	if (!result.fileName || urlNamesFile) return next;
	return autofill({...next, remoteName: result.fileName});
}

function detectsType(url: string): boolean {
	try {
		detectFromUrl(url);
		return true;
	} catch {
		return false;
	}
}

/** The line under the URL: "checking…", or what the check found. */
export function urlCheckText(state: FormState): {text: string; ok: boolean} | undefined {
	const check = state.check;
	if (!check || check.url !== state.values.url.trim()) return undefined;
	const result = check.result;
	if (!result) return {text: 'checking the URL…', ok: true};
	if (!result.reachable) return {text: `not reachable: ${result.problem ?? 'no answer'}`, ok: false};
	const parts = [result.size === null ? 'size unknown' : formatBytes(result.size)];
	if (result.fileName) parts.push(`${result.fileName}${result.fileType ? '' : ' (no image type in that name)'}`);
	if (result.redirects > 0) parts.push(`via ${result.redirects} redirect${result.redirects === 1 ? '' : 's'}`);
	return {text: `reachable: ${parts.join(', ')}${result.problem ? `; ${result.problem}` : ''}`, ok: !result.problem};
}

/** The checksum URL to look for a signature next to, when focus has just left the checksum field; else undefined. */
export function signatureProbeFor(before: FormState, after: FormState): string | undefined {
	if (focusedField(before) !== 'checksum' || focusedField(after) === 'checksum') return undefined;
	const checksum = after.values.checksum.trim();
	return isHttpUrl(checksum) && !after.edited.signature ? checksum : undefined;
}

/**
 * What the HEAD requests found next to `checksumUrl`: the signature field is filled (unless typed in meanwhile) and
 * the note says so; a clear-signed CHECKSUM or nothing found is said too. Stale answers are ignored.
 */
export function withSignatureProbe(state: FormState, checksumUrl: string, found: string | undefined, clearSigned: boolean): FormState {
	if (state.values.checksum.trim() !== checksumUrl || state.edited.signature) return state;
	if (found) return {...state, values: {...state.values, signature: found}, signatureNote: `found ${found.slice(found.lastIndexOf('/') + 1)} next to the checksum file (checked before the download)`};
	const signatureNote = clearSigned
		? 'a clear-signed CHECKSUM is checked when it arrives; no separate signature needed'
		: 'no .gpg/.sign/.asc/.sig next to the checksum file: it will be unsigned unless you give one';
	return {...state, signatureNote};
}

/** Record a failed submit's error on its field and focus that field. */
export function withSubmitError(state: FormState, error: unknown): FormState {
	const field = errorField(error);
	const focus = FORM_FIELDS.indexOf(field as FormField);
	const nextFocus = focus >= 0 ? focus : state.focus;
	return {...state, submitErrors: {...state.submitErrors, [field]: message(error)}, focus: nextFocus, cursor: chars(state.values[FORM_FIELDS[nextFocus]!]).length};
}
