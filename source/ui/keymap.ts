import {checkAction, type Image, type LibraryAction, type Verdict} from '../core/index.js';

/**
 * THE binding table. Key handling (controller), the footer hints, the `?` overlay and the README's key table are
 * all generated from it, so they cannot disagree. Key names are those of keys.ts.
 */
export type Mode = 'normal' | 'details' | 'notices' | 'stats' | 'filter' | 'form' | 'dialog' | 'help' | 'limit';

export type Action =
	| 'up'
	| 'down'
	| 'collapse'
	| 'expand'
	| 'toggle'
	| 'top'
	| 'bottom'
	| 'pageUp'
	| 'pageDown'
	| 'add'
	| 'edit'
	| 'stats'
	| 'statsClose'
	| 'pauseResume'
	| 'cancel'
	| 'retry'
	| 'verify'
	| 'remove'
	| 'filter'
	| 'clearFilter'
	| 'switchPane'
	| 'help'
	| 'quit'
	| 'forceQuit'
	| 'filterDone'
	| 'filterCancel'
	| 'filterBackspace'
	| 'filterClear'
	| 'formSubmit'
	| 'formCancel'
	| 'formNext'
	| 'formPrevious'
	| 'formBackspace'
	| 'formClear'
	| 'formLeft'
	| 'formRight'
	| 'formHome'
	| 'formEnd'
	| 'formDeleteWord'
	| 'dialogConfirm'
	| 'dialogCancel'
	| 'dialogNext'
	| 'dialogPrevious'
	| 'dialogLetter'
	| 'limit'
	| 'limitSubmit'
	| 'limitCancel'
	| 'limitScope'
	| 'limitBackspace'
	| 'limitClear'
	| 'helpClose'
	| 'helpUp'
	| 'helpDown'
	| 'detailsUp'
	| 'detailsDown'
	| 'detailsPageUp'
	| 'detailsPageDown'
	| 'detailsTop'
	| 'detailsBottom'
	| 'detailsClose'
	| 'mark'
	| 'retryFailed'
	| 'cycleOrder'
	| 'toggleView'
	| 'expandAll'
	| 'collapseAll'
	| 'copyPath'
	| 'notices'
	| 'noticesUp'
	| 'noticesDown'
	| 'noticesPageUp'
	| 'noticesPageDown'
	| 'noticesClose';

export type Binding = {
	action: Action;
	/** Modes where it applies; `all` = every mode (checked first). */
	modes: readonly Mode[] | 'all';
	keys: readonly string[];
	description: string;
	/** Shown in the footer (short form) when set. */
	hint?: string;
	/** Shown instead of the key names where the keys are not a fixed list. */
	keyLabel?: string;
	/** For an action on the selected image: which library action it is (the rules decide whether it may run). */
	rule?: (image: Pick<Image, 'status'>) => LibraryAction;
};

const TEXT = 'type to edit';

export const BINDINGS: readonly Binding[] = [
	{action: 'forceQuit', modes: 'all', keys: ['ctrl+c'], description: 'Quit (asks first while downloads run; press again to stop them and quit)'},
	// normal: the library tree
	{action: 'up', modes: ['normal'], keys: ['up', 'k'], description: 'Move up', hint: 'move'},
	{action: 'down', modes: ['normal'], keys: ['down', 'j'], description: 'Move down'},
	{action: 'collapse', modes: ['normal'], keys: ['left', 'h'], description: 'Collapse, or go to the parent', hint: 'fold'},
	{action: 'expand', modes: ['normal'], keys: ['right', 'l'], description: 'Expand, or go to the first child'},
	{action: 'toggle', modes: ['normal'], keys: ['enter'], description: 'Expand or collapse; on a file, open its details (scrollable; Esc closes)'},
	{action: 'top', modes: ['normal'], keys: ['g', 'home'], description: 'Go to the first row'},
	{action: 'bottom', modes: ['normal'], keys: ['G', 'end'], description: 'Go to the last row'},
	{action: 'pageUp', modes: ['normal'], keys: ['pageup'], description: 'Page up'},
	{action: 'pageDown', modes: ['normal'], keys: ['pagedown'], description: 'Page down'},
	{action: 'add', modes: ['normal'], keys: ['a'], description: 'Add an image (form)', hint: 'add'},
	{
		action: 'edit',
		modes: ['normal', 'details'],
		keys: ['e'],
		description: 'Edit the selected image (the form, pre-filled): a complete one moves to its new path; a failed or paused one may take new URLs',
		hint: 'edit',
		rule: () => 'edit',
	},
	{action: 'pauseResume', modes: ['normal', 'details'], keys: ['p'], description: 'Pause or resume the selected download', hint: 'pause', rule: image => (image.status === 'paused' ? 'resume' : 'pause')},
	{action: 'cancel', modes: ['normal', 'details'], keys: ['x'], description: 'Cancel the selected download (its partial file is deleted)', hint: 'cancel', rule: () => 'cancel'},
	{action: 'retry', modes: ['normal', 'details'], keys: ['r'], description: 'Retry a failed or missing image', hint: 'retry', rule: () => 'retry'},
	{action: 'verify', modes: ['normal', 'details'], keys: ['v'], description: 'Verify the selected file again (re-hash it)', hint: 'verify', rule: () => 'verify'},
	{action: 'remove', modes: ['normal', 'details'], keys: ['D', 'delete'], description: 'Remove the selected image and its files (asks first)', hint: 'remove', rule: () => 'remove'},
	{action: 'mark', modes: ['normal'], keys: [' '], description: 'Mark or unmark the selected file (a group: all its files); p x r v D then act on every marked image', hint: 'mark'},
	{action: 'retryFailed', modes: ['normal'], keys: ['R'], description: 'Retry every failed or missing image (asks first, naming how many)'},
	{action: 'cycleOrder', modes: ['normal'], keys: ['o'], description: 'Change the order: name, newest first, largest first, status (what needs you first)', hint: 'order'},
	{action: 'toggleView', modes: ['normal'], keys: ['t'], description: 'Switch between the tree and one flat list of every file', hint: 'list'},
	{action: 'expandAll', modes: ['normal'], keys: ['+'], description: 'Expand every group'},
	{action: 'collapseAll', modes: ['normal'], keys: ['-'], description: 'Collapse every group'},
	{action: 'copyPath', modes: ['normal', 'details'], keys: ['y'], description: "Copy the selected file's absolute path (OSC 52; also shown in the status line)"},
	{action: 'notices', modes: ['normal', 'details'], keys: ['n'], description: 'Show the last 200 notices and events', hint: 'notices'},
	{action: 'stats', modes: ['normal'], keys: ['s'], description: 'Show the statistics: totals, storage, downloads served, bandwidth saved, the top images, the last 30 days', hint: 'stats'},
	{action: 'limit', modes: ['normal', 'details'], keys: ['L'], description: 'Set a bandwidth limit: for all downloads, or for the selected image (500K, 2M, 1G; 0 = none)', hint: 'limit'},
	{action: 'filter', modes: ['normal'], keys: ['/'], description: 'Filter the list as you type', hint: 'filter'},
	{action: 'clearFilter', modes: ['normal'], keys: ['escape'], description: 'Clear the marks, else the filter'},
	{action: 'switchPane', modes: ['normal'], keys: ['tab'], description: 'Open the details of the selected row (scrollable; Esc closes)', hint: 'details'},
	{action: 'help', modes: ['normal', 'details'], keys: ['?', 'f1'], description: 'Show all keys', hint: 'help'},
	{action: 'quit', modes: ['normal', 'details'], keys: ['q'], description: 'Quit (asks what to do with running downloads)', hint: 'quit'},
	// details: the selected image's details as their own view
	{action: 'detailsUp', modes: ['details'], keys: ['up', 'k'], description: 'Scroll the details up', hint: 'scroll'},
	{action: 'detailsDown', modes: ['details'], keys: ['down', 'j'], description: 'Scroll the details down'},
	{action: 'detailsPageUp', modes: ['details'], keys: ['pageup'], description: 'Scroll the details up a page'},
	{action: 'detailsPageDown', modes: ['details'], keys: ['pagedown'], description: 'Scroll the details down a page'},
	{action: 'detailsTop', modes: ['details'], keys: ['g', 'home'], description: 'Go to the top of the details'},
	{action: 'detailsBottom', modes: ['details'], keys: ['G', 'end'], description: 'Go to the end of the details'},
	{action: 'detailsClose', modes: ['details'], keys: ['escape', 'tab', 'enter', 'left', 'h'], description: 'Close the details and go back to the list', hint: 'back'},
	// notices: the last 200 notices and events
	{action: 'noticesUp', modes: ['notices'], keys: ['up', 'k'], description: 'Scroll to older notices', hint: 'scroll'},
	{action: 'noticesDown', modes: ['notices'], keys: ['down', 'j'], description: 'Scroll to newer notices'},
	{action: 'noticesPageUp', modes: ['notices'], keys: ['pageup'], description: 'Older notices, a page'},
	{action: 'noticesPageDown', modes: ['notices'], keys: ['pagedown'], description: 'Newer notices, a page'},
	{action: 'noticesClose', modes: ['notices'], keys: ['escape', 'n', 'q', 'enter'], description: 'Close the notices', hint: 'close'},
	// stats: the statistics view
	{action: 'statsClose', modes: ['stats'], keys: ['escape', 's', 'q', 'enter'], description: 'Close the statistics', hint: 'close'},
	// filter: typing in the filter line (letters are text here, so only the arrows move)
	{action: 'up', modes: ['filter'], keys: ['up'], description: 'Move up while filtering', hint: 'move'},
	{action: 'down', modes: ['filter'], keys: ['down'], description: 'Move down while filtering'},
	{action: 'filterDone', modes: ['filter'], keys: ['enter'], description: 'Keep the filter and go back to the list', hint: 'keep'},
	{action: 'filterCancel', modes: ['filter'], keys: ['escape'], description: 'Clear the filter and go back', hint: 'clear'},
	{action: 'filterBackspace', modes: ['filter'], keys: ['backspace'], description: 'Delete the last character'},
	{action: 'filterClear', modes: ['filter'], keys: ['ctrl+u'], description: 'Delete the whole filter'},
	// form: the add form (and the edit form, the same form pre-filled)
	{action: 'formSubmit', modes: ['form'], keys: ['enter'], description: 'Add the image (or save the edit)', hint: 'save'},
	{action: 'formCancel', modes: ['form'], keys: ['escape'], description: 'Close the form without saving (asks first when something was typed or changed)', hint: 'cancel'},
	{action: 'formNext', modes: ['form'], keys: ['tab', 'down'], description: 'Next field', hint: 'next field'},
	{action: 'formPrevious', modes: ['form'], keys: ['shift+tab', 'up'], description: 'Previous field'},
	{action: 'formBackspace', modes: ['form'], keys: ['backspace'], description: 'Delete the last character'},
	{action: 'formClear', modes: ['form'], keys: ['ctrl+u'], description: 'Clear the field', hint: 'clear field'},
	{action: 'formLeft', modes: ['form'], keys: ['left', 'ctrl+b'], description: 'Move the cursor left'},
	{action: 'formRight', modes: ['form'], keys: ['right', 'ctrl+f'], description: 'Move the cursor right'},
	{action: 'formHome', modes: ['form'], keys: ['home', 'ctrl+a'], description: 'Cursor to the start of the field'},
	{action: 'formEnd', modes: ['form'], keys: ['end', 'ctrl+e'], description: 'Cursor to the end of the field'},
	{action: 'formDeleteWord', modes: ['form'], keys: ['ctrl+w'], description: 'Delete the word before the cursor'},
	// limit: the bandwidth limit line
	{action: 'limitSubmit', modes: ['limit'], keys: ['enter'], description: 'Set the limit (applies to running downloads within a second)', hint: 'set'},
	{action: 'limitCancel', modes: ['limit'], keys: ['escape'], description: 'Leave the limit unchanged', hint: 'cancel'},
	{action: 'limitScope', modes: ['limit'], keys: ['tab'], description: 'Switch between all downloads and the selected image', hint: 'all/this image'},
	{action: 'limitBackspace', modes: ['limit'], keys: ['backspace'], description: 'Delete the last character'},
	{action: 'limitClear', modes: ['limit'], keys: ['ctrl+u'], description: 'Clear the rate'},
	// dialog: confirmations and choices
	{action: 'dialogLetter', modes: ['dialog'], keys: [], keyLabel: 'letter', description: 'Pick the choice whose letter is shown in brackets, e.g. [y]es / [n]o', hint: 'pick'},
	{action: 'dialogNext', modes: ['dialog'], keys: ['right', 'tab', 'down', 'l', 'j'], description: 'Highlight the next choice'},
	{action: 'dialogPrevious', modes: ['dialog'], keys: ['left', 'shift+tab', 'up', 'h', 'k'], description: 'Highlight the previous choice', hint: 'choose'},
	{action: 'dialogConfirm', modes: ['dialog'], keys: ['enter'], description: 'Pick the highlighted choice (the default is the safe one)', hint: 'ok'},
	{action: 'dialogCancel', modes: ['dialog'], keys: ['escape'], description: 'Close the dialog without doing anything', hint: 'cancel'},
	// help overlay
	{action: 'helpUp', modes: ['help'], keys: ['up', 'k', 'pageup'], description: 'Scroll the help up', hint: 'scroll'},
	{action: 'helpDown', modes: ['help'], keys: ['down', 'j', 'pagedown'], description: 'Scroll the help down'},
	{action: 'helpClose', modes: ['help'], keys: ['escape', '?', 'q', 'f1', 'enter'], description: 'Close the help', hint: 'close'},
];

export const MODE_TITLES: Record<Mode, string> = {
	normal: 'Library',
	details: 'Details',
	notices: 'Notices',
	stats: 'Statistics',
	filter: 'Filter line',
	form: 'Add form',
	dialog: 'Dialogs',
	help: 'Help',
	limit: 'Bandwidth limit line',
};

export const TEXT_MODES: ReadonlySet<Mode> = new Set(['filter', 'form', 'limit']);

const appliesTo = (binding: Binding, mode: Mode) => binding.modes === 'all' || binding.modes.includes(mode);

/** The binding a key triggers in a mode (`all` bindings first), or undefined. */
export function bindingFor(mode: Mode, key: string): Binding | undefined {
	return (
		BINDINGS.find(binding => binding.modes === 'all' && binding.keys.includes(key)) ??
		BINDINGS.find(binding => binding.modes !== 'all' && binding.modes.includes(mode) && binding.keys.includes(key))
	);
}

/** Whether a binding's action may run on `image` now (always, for bindings that are not about an image). */
export function verdictFor(binding: Binding, image: Pick<Image, 'id' | 'status' | 'errorCode'> | undefined): Verdict {
	if (!binding.rule) return {allowed: true};
	if (!image) return {allowed: false, reason: 'no file is selected'};
	return checkAction(binding.rule(image), image);
}

/** The binding of an action in a mode (the first, when an action has several). */
export function bindingOf(action: Action, mode: Mode = 'normal'): Binding | undefined {
	return BINDINGS.find(binding => binding.action === action && appliesTo(binding, mode));
}

export function bindingsFor(mode: Mode): Binding[] {
	return BINDINGS.filter(binding => binding.modes !== 'all' && appliesTo(binding, mode));
}

const KEY_LABELS: Record<string, [unicode: string, ascii: string]> = {
	up: ['↑', 'Up'],
	down: ['↓', 'Down'],
	left: ['←', 'Left'],
	right: ['→', 'Right'],
	home: ['Home', 'Home'],
	end: ['End', 'End'],
	pageup: ['PgUp', 'PgUp'],
	pagedown: ['PgDn', 'PgDn'],
	enter: ['Enter', 'Enter'],
	escape: ['Esc', 'Esc'],
	tab: ['Tab', 'Tab'],
	'shift+tab': ['Shift-Tab', 'Shift-Tab'],
	backspace: ['Backspace', 'Backspace'],
	delete: ['Delete', 'Delete'],
	f1: ['F1', 'F1'],
	' ': ['Space', 'Space'],
};

function keyLabel(key: string, ascii = false): string {
	const known = KEY_LABELS[key];
	if (known) return ascii ? known[1] : known[0];
	const ctrl = /^ctrl\+(.)$/.exec(key);
	if (ctrl) return `Ctrl-${ctrl[1]!.toUpperCase()}`;
	return key;
}

export function keysLabel(binding: Binding, ascii = false, separator = ' '): string {
	return binding.keyLabel ?? binding.keys.map(key => keyLabel(key, ascii)).join(separator);
}

export type Hint = {text: string; /** The action may not run on the selected image now (shown greyed). */ disabled: boolean};

/** Footer hints for a mode, cut to `width` at a whole hint. */
export function footerHints(mode: Mode, width: number, ascii = false): string {
	return footerParts(mode, width, ascii).map(hint => hint.text).join('  ');
}

/** The footer's hints, each greyed when its action may not run on `selected` now. */
export function footerParts(mode: Mode, width: number, ascii = false, selected?: Pick<Image, 'id' | 'status' | 'errorCode'>): Hint[] {
	const parts: Hint[] = [];
	const bindings = bindingsFor(mode);
	for (const binding of bindings) {
		if (!binding.hint) continue;
		// Pairs of moves read better as one hint: ↑↓ move, ←→ fold.
		let keys = keysLabel(binding, ascii, '/');
		if (binding.action === 'up') keys = ascii ? 'Up/Down' : '↑↓';
		if (binding.action === 'collapse') keys = ascii ? 'Left/Right' : '←→';
		if (binding.action === 'dialogPrevious') keys = ascii ? 'Left/Right' : '←→';
		if (binding.action === 'helpUp' || binding.action === 'detailsUp' || binding.action === 'noticesUp') keys = ascii ? 'Up/Down' : '↑↓';
		if (binding.action === 'noticesClose') keys = 'Esc';
		if (binding.action === 'detailsClose') keys = 'Esc';
		if (binding.action === 'remove') keys = 'D';
		parts.push({text: `${keys} ${binding.hint}`, disabled: binding.rule !== undefined && selected !== undefined && !verdictFor(binding, selected).allowed});
	}

	if (TEXT_MODES.has(mode)) parts.push({text: TEXT, disabled: false});
	// Help and quit stay at every width: the other hints give way to them.
	const keptText = new Set(bindings.filter(b => b.hint && (b.action === 'help' || b.action === 'quit')).map(b => `${keysLabel(b, ascii, '/')} ${b.hint!}`));
	const kept = parts.filter(part => keptText.has(part.text));
	const tail = kept.reduce((sum, part, i) => sum + (i > 0 ? 2 : 0) + [...part.text].length, 0);
	const shown: Hint[] = [];
	let length = 0;
	for (const part of parts) {
		if (keptText.has(part.text)) continue;
		const next = length + (shown.length > 0 ? 2 : 0) + [...part.text].length;
		if (next + (tail > 0 ? tail + 2 : 0) > width) break;
		shown.push(part);
		length = next;
	}

	// On a screen too narrow even for help and quit, they are cut like any other text.
	const all = [...shown, ...kept];
	let total = 0;
	return all.filter((part, i) => {
		total += (i > 0 ? 2 : 0) + [...part.text].length;
		return total <= width;
	});
}

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

/** The README's key table (between `<!-- keys:start -->` and `<!-- keys:end -->`). */
export function keyTableMarkdown(): string {
	const lines = ['| Where | Keys | Action |', '| --- | --- | --- |'];
	const global = BINDINGS.filter(binding => binding.modes === 'all');
	for (const binding of global) {
		lines.push(`| Anywhere | ${escapeCell(binding.keys.map(key => '`' + keyLabel(key) + '`').join(' '))} | ${escapeCell(binding.description)} |`);
	}

	for (const mode of Object.keys(MODE_TITLES) as Mode[]) {
		for (const binding of bindingsFor(mode)) {
			const keys = binding.keyLabel ? `*${binding.keyLabel}*` : binding.keys.map(key => '`' + keyLabel(key) + '`').join(' ');
			lines.push(`| ${MODE_TITLES[mode]} | ${escapeCell(keys)} | ${escapeCell(binding.description)} |`);
		}
	}

	return lines.join('\n');
}
