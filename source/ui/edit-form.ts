/**
 * The edit form (key `e`): the add form's fields and rules, pre-filled from the selected image. On submit only the
 * fields the user changed go to the library's `edit` (the same validation as add, and the rules module's one edit
 * rule: a complete image takes new names, a failed or paused one new URLs too). A signature setting cannot be
 * changed by an edit (the signature would no longer say what it was checked against): changing one is refused in
 * the form, with the same words as the API.
 */
import {IsomanError, type EditPatch, type Image} from '../core/index.js';
import {emptyForm, FORM_FIELDS, isHttpUrl, type FormField, type FormState} from './add-form.js';

/** The checksum field as the form shows it: the checksum URL, else the expected digest as `alg:hex`. */
function checksumText(image: Image): string {
	if (image.checksumUrl) return image.checksumUrl;
	return image.expectedChecksum && image.checksumType ? `${image.checksumType}:${image.expectedChecksum}` : '';
}

export function editForm(image: Image): FormState {
	const values: Record<FormField, string> = {
		url: image.downloadUrl,
		type: image.fileType,
		name: image.name,
		version: image.version,
		arch: image.arch,
		edition: image.edition ?? '',
		checksum: checksumText(image),
		signature: image.signatureUrl ?? '',
		key: image.signingKey ?? '',
	};
	// Every field counts as typed: the URL's autofill must not overwrite what the image already has.
	const edited = Object.fromEntries(FORM_FIELDS.map(f => [f, true]));
	const focus = FORM_FIELDS.indexOf('name');
	return {...emptyForm(), values, edited, focus, cursor: [...values.name].length, fileType: image.fileType, editing: {id: image.id, original: values}};
}

const changedFields = (state: FormState): FormField[] => {
	const original = state.editing?.original;
	return FORM_FIELDS.filter(f => !original || state.values[f].trim() !== original[f].trim());
};

/** Whether the edit form differs from the image it was opened on (Esc then asks before throwing it away). */
export function isChanged(state: FormState): boolean {
	return changedFields(state).length > 0;
}

/** Only what changed. An emptied checksum field means "no checksum source". Throws for a signature setting. */
export function toEditPatch(state: FormState): EditPatch {
	const v = state.values;
	const patch: EditPatch = {};
	for (const field of changedFields(state)) {
		switch (field) {
			case 'url':
				patch.url = v.url.trim();
				break;
			case 'name':
			case 'version':
			case 'arch':
			case 'edition':
				patch[field] = v[field];
				break;
			case 'checksum': {
				const checksum = v.checksum.trim();
				if (checksum === '') patch.checksumUrl = '';
				else if (isHttpUrl(checksum)) patch.checksumUrl = checksum;
				else patch.checksum = checksum;
				break;
			}

			case 'type':
				throw new IsomanError('invalid', 'type: the type of an image cannot be edited (its file is what it is); remove the image and add it again', 'type');
			case 'signature':
			case 'key': {
				const name = field === 'signature' ? 'signature_url' : 'key';
				throw new IsomanError('invalid', `${name}: a signature setting cannot be edited; remove the image and add it again with the new one`, name);
			}
		}
	}

	return patch;
}
