/** The TUI's dialogs: what they say and which lettered choices they offer (the highlighted one is the safe default). */
import type {Image} from '../core/index.js';
import type {BulkAction, BulkPlan} from './bulk.js';
import {plural, VERBS} from './bulk.js';
import {formatBytes, formatBytesOf} from './format.js';
import {fileLabel} from './tree.js';

export type DialogOption = {letter: string; label: string; run: () => void};

export type DialogState = {
	kind: 'remove' | 'quit' | 'duplicate' | 'cancel' | 'bulk' | 'discard';
	title: string;
	lines: readonly string[];
	options: readonly DialogOption[];
	selected: number;
	cancel: () => void;
};

export function describeImage(image: Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType'>): string {
	return `${image.name} ${image.version} ${fileLabel(image)}`;
}

/** "Remove this image?" naming the file and its size; No is the default. */
export function removeDialog(image: Image, actions: {remove: () => void; close: () => void}): DialogState {
	const size = image.sizeBytes ?? (image.downloadedBytes > 0 ? image.downloadedBytes : null);
	return {
		kind: 'remove',
		title: 'Remove this image?',
		lines: [
			describeImage(image),
			`${size === null ? 'size unknown' : formatBytes(size)}, ${image.status}`,
			`images/${image.filePath}`,
			'The file, its partial download and its checksum file are deleted.',
		],
		options: [
			{letter: 'y', label: 'Yes, remove', run: actions.remove},
			{letter: 'n', label: 'No', run: actions.close},
		],
		selected: 1,
		cancel: actions.close,
	};
}

/** The add form hit an image that is already there: jump to it, or back to the form. */
export function duplicateDialog(existingId: string, existing: Image | undefined, actions: {jump: () => void; back: () => void}): DialogState {
	return {
		kind: 'duplicate',
		title: 'Already in the library',
		lines: existing ? [describeImage(existing), `${existing.status}, id ${existing.id}`, `images/${existing.filePath}`] : [`id ${existingId}`],
		options: [
			{letter: 'j', label: 'Jump to it', run: actions.jump},
			{letter: 'e', label: 'Edit the form', run: actions.back},
		],
		selected: 0,
		cancel: actions.back,
	};
}

/** Quitting while downloads run: keep them going in a background daemon (when possible), pause them, or stay. */
export function quitDialog(active: number, actions: {background?: () => void; pause: () => void; stay: () => void}): DialogState {
	const options: DialogOption[] = [];
	if (actions.background) options.push({letter: 'b', label: 'Keep downloading in the background', run: actions.background});
	options.push({letter: 'p', label: 'Pause them and quit', run: actions.pause}, {letter: 's', label: 'Stay', run: actions.stay});
	return {
		kind: 'quit',
		title: 'Downloads are running',
		lines: [
			`${active} ${active === 1 ? 'download is' : 'downloads are'} in progress. Partial files are kept either way.`,
			'Ctrl-C: stop them now (they resume at the next start) and quit.',
		],
		options,
		selected: 0,
		cancel: actions.stay,
	};
}

/** `x`: cancelling deletes the partial file, so it asks first (No is the default). */
export function cancelDialog(image: Image, actions: {cancel: () => void; close: () => void}): DialogState {
	const done = image.downloadedBytes;
	return {
		kind: 'cancel',
		title: 'Cancel this download?',
		lines: [
			describeImage(image),
			`${image.status}${done > 0 ? `, ${formatBytesOf(done, image.sizeBytes)} downloaded` : ''}`,
			'The partial file is deleted; the image stays in the list as cancelled (r downloads it again).',
		],
		options: [
			{letter: 'y', label: 'Yes, cancel it', run: actions.cancel},
			{letter: 'n', label: 'No', run: actions.close},
		],
		selected: 1,
		cancel: actions.close,
	};
}

/** One confirmation for an action on many images, naming how many it applies to and how many it skips. */
export function bulkDialog(action: BulkAction, plan: BulkPlan, what: string, actions: {run: () => void; close: () => void}): DialogState {
	const [title] = VERBS[action];
	const names = plan.targets.slice(0, 3).map(image => `  ${describeImage(image)}`);
	if (plan.targets.length > 3) names.push(`  … and ${plan.targets.length - 3} more`);
	const lines = [...names];
	if (plan.skipped > 0) lines.push(`${plural(plan.skipped, 'other image')} skipped: ${plan.why}.`);
	if (action === 'remove') lines.push('Their files, partial downloads and checksum files are deleted.');
	if (action === 'cancel') lines.push('Their partial files are deleted.');
	const dangerous = action === 'remove' || action === 'cancel';
	return {
		kind: 'bulk',
		title: `${title} ${plural(plan.targets.length, 'image')} (${what})?`,
		lines,
		options: [
			{letter: 'y', label: `Yes, ${title.toLowerCase()} ${plan.targets.length}`, run: actions.run},
			{letter: 'n', label: 'No', run: actions.close},
		],
		selected: dangerous ? 1 : 0,
		cancel: actions.close,
	};
}

/** Esc on a form with something typed in it: throw it away, or keep editing (the default). */
export function discardDialog(actions: {discard: () => void; back: () => void}): DialogState {
	return {
		kind: 'discard',
		title: 'Discard this form?',
		lines: ['What you typed is lost.'],
		options: [
			{letter: 'd', label: 'Discard it', run: actions.discard},
			{letter: 'k', label: 'Keep editing', run: actions.back},
		],
		selected: 1,
		cancel: actions.back,
	};
}
