/**
 * JSON request bodies → the core's inputs. Fields are ISOMan's names; `""` and null mean "none", as ISOMan's web
 * UI sends them; a value of the wrong JSON type is a problem named like any other. The core's validation (the
 * same code `isoman add` runs) does the rest; its field names are mapped back to the API's (`url` → `download_url`).
 */
import type {AddInput, FieldProblem} from '../../core/index.js';
import {ApiError} from './envelope.js';

const API_FIELD: Record<string, string> = {url: 'download_url', type: 'download_url'};

export function apiProblem(p: FieldProblem): FieldProblem {
	const field = API_FIELD[p.field] ?? p.field;
	const message = p.field !== field && p.message.startsWith(`${p.field}:`) ? `${field}:${p.message.slice(p.field.length + 1)}` : p.message;
	return {field, message};
}

export function validationError(problems: readonly FieldProblem[]): ApiError {
	const mapped = problems.map(apiProblem);
	return new ApiError('VALIDATION_FAILED', mapped.length === 1 ? mapped[0]!.message : `${mapped.length} fields are not valid`, {
		details: mapped.map(p => p.message).join('; '),
		fields: mapped,
	});
}

/** A string field: absent → undefined, null → '' (none), a string as it is, anything else a problem. */
function stringField(body: Record<string, unknown>, key: string, problems: FieldProblem[]): string | undefined {
	const value = body[key];
	if (value === undefined) return undefined;
	if (value === null) return '';
	if (typeof value === 'string') return value;
	problems.push({field: key, message: `${key}: must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`});
	return undefined;
}

/** `POST /api/isos` body → AddInput. Throws VALIDATION_FAILED for wrongly typed fields (all of them at once). */
export function addInputFrom(body: Record<string, unknown>): AddInput {
	const problems: FieldProblem[] = [];
	const s = (key: string) => stringField(body, key, problems);
	const input: AddInput = {
		url: s('download_url') ?? '',
		name: s('name'),
		version: s('version'),
		arch: s('arch'),
		edition: s('edition'),
		checksumUrl: s('checksum_url'),
		checksum: s('checksum'),
		checksumType: s('checksum_type'),
		signatureUrl: s('signature_url'),
		key: s('key'),
	};
	if (body['require_signature'] !== undefined && body['require_signature'] !== null) {
		if (typeof body['require_signature'] === 'boolean') input.requireSignature = body['require_signature'];
		else problems.push({field: 'require_signature', message: 'require_signature: must be true or false'});
	}

	if (input.url.trim() === '' && !problems.some(p => p.field === 'download_url')) problems.push({field: 'download_url', message: 'download_url: is required'});
	if (problems.length > 0) throw validationError(problems);
	return input;
}

export const EDIT_FIELDS = ['name', 'version', 'arch', 'edition', 'download_url', 'checksum_url', 'checksum_type', 'checksum'] as const;

export type EditFields = Partial<Record<(typeof EDIT_FIELDS)[number], string>>;

/** `PUT /api/isos/:id` body → the fields given (`""` kept: it means "none" for edition and checksum_url). */
export function editFieldsFrom(body: Record<string, unknown>): EditFields {
	const problems: FieldProblem[] = [];
	const fields: EditFields = {};
	for (const key of EDIT_FIELDS) {
		const value = stringField(body, key, problems);
		if (value !== undefined) fields[key] = value;
	}

	for (const key of ['signature_url', 'key', 'require_signature']) {
		if (body[key] !== undefined && body[key] !== null && body[key] !== '') {
			problems.push({field: key, message: `${key}: a signature setting cannot be edited; remove the image and add it again with the new one`});
		}
	}

	if (problems.length > 0) throw validationError(problems);
	return fields;
}
