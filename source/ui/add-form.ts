/**
 * The add form's state and rules, pure. The URL comes first; name, version, arch and edition are filled from it
 * as it is typed (the core's detectFromUrl/inferFromFilename) until the user edits them. The checksum field takes
 * either an http(s) URL (→ checksumUrl) or a digest `[alg:]hex` (→ checksum). Validation uses the core's schemas
 * while typing and `prepareAdd` (the very function `manager.add` runs) on submit; errors map to fields.
 */
import {detectFromUrl, fieldProblem, httpUrlSchema, inferFromFilename, IsomanError, parseDigestArg, type AddInput} from '../core/index.js';

export const FORM_FIELDS = ['url', 'name', 'version', 'arch', 'edition', 'checksum', 'signature', 'key'] as const;
export type FormField = (typeof FORM_FIELDS)[number];
/** `type` is shown (from the URL) but not typed: the core takes the type from the URL. */
export type ErrorField = FormField | 'type' | 'form';

export const FIELD_LABELS: Record<FormField | 'type', string> = {
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
	/** Type told by the URL, or undefined. */
	fileType: string | undefined;
	/** What is known of a signature next to the checksum URL (the proposal and whether a HEAD request found it). */
	signatureNote?: string;
	/** Where typing goes in the focused field (a character index, 0..length). */
	cursor: number;
	/** Set when the form edits an image (edit-form.ts): its id and the values it started with. */
	editing?: {id: string; original: Readonly<Record<FormField, string>>};
};

export function emptyForm(): FormState {
	return {
		values: {url: '', name: '', version: '', arch: '', edition: '', checksum: '', signature: '', key: ''},
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

/** Refill the fields the user has not edited from the URL. */
function autofill(state: FormState): FormState {
	const url = state.values.url;
	let basename = rawBasename(url);
	let fileType: string | undefined;
	let detectedArch: string | null = null;
	try {
		const detected = detectFromUrl(url);
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

	return {...state, values, fileType};
}

function setValue(state: FormState, field: FormField, value: string): FormState {
	const submitErrors = {...state.submitErrors};
	delete submitErrors[field];
	delete submitErrors.form;
	if (field === 'url') delete submitErrors.type;
	const next: FormState = {...state, values: {...state.values, [field]: value}, edited: {...state.edited, [field]: true}, submitErrors};
	return field === 'url' ? autofill(next) : next;
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
	const focus = (((state.focus + delta) % n) + n) % n;
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
	if (show('url')) {
		try {
			detectFromUrl(v.url);
		} catch (error) {
			errors[errorField(error) === 'type' ? 'type' : 'url'] = message(error);
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

	return {...errors, ...state.submitErrors};
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
	const focus = field === 'type' ? 0 : FORM_FIELDS.indexOf(field as FormField);
	const nextFocus = focus >= 0 ? focus : state.focus;
	return {...state, submitErrors: {...state.submitErrors, [field]: message(error)}, focus: nextFocus, cursor: chars(state.values[FORM_FIELDS[nextFocus]!]).length};
}
