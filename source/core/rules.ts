/**
 * The rules, in one place: may action A run on image I now, and if not, why. The manager enforces them (an
 * illegal action throws IllegalTransitionError with the reason), the TUI greys out keys and says the reason,
 * the CLI prints it, the HTTP API returns it. The legal state changes underneath are catalogue/transitions.ts.
 */
import {IllegalTransitionError} from './catalogue/transitions.js';
import type {Image, Status} from './types.js';

export const LIBRARY_ACTIONS = ['pause', 'resume', 'cancel', 'retry', 'verify', 'remove', 'edit', 'editUrl'] as const;
/** `edit`: name, version, arch, edition, checksum; `editUrl`: the download URL too. */
export type LibraryAction = (typeof LIBRARY_ACTIONS)[number];

export type Verdict = {allowed: true} | {allowed: false; reason: string};

type Subject = Pick<Image, 'id' | 'status'> & Partial<Pick<Image, 'errorCode'>>;

type Rule = {
	/** States in which the action may run. */
	from: readonly Status[];
	/** The end of "image X is <status>; …" when it may not, or the whole reason. */
	why: string | ((image: Subject) => string);
	/** Allowed besides `from` (verify: a failed row whose file was found corrupt). */
	also?: (image: Subject) => boolean;
};

const RULES: Readonly<Record<LibraryAction, Rule>> = {
	pause: {from: ['pending', 'downloading'], why: 'only a queued or running download can be paused'},
	resume: {from: ['paused'], why: 'only a paused download can be resumed'},
	cancel: {from: ['pending', 'downloading', 'paused', 'verifying'], why: 'only a queued, paused or running download can be cancelled'},
	retry: {from: ['failed', 'missing'], why: 'only a failed or missing image can be retried'},
	verify: {
		from: ['complete', 'missing'],
		why: 'only a complete (or missing, or corrupt) image can be verified',
		also: image => image.status === 'failed' && image.errorCode === 'corrupt',
	},
	remove: {from: ['pending', 'downloading', 'verifying', 'complete', 'paused', 'failed', 'missing'], why: 'it can always be removed'},
	// A missing image has no file to move or check: retry or remove it first.
	edit: {from: ['complete', 'failed', 'paused'], why: image => editRefusalText(image, false)},
	editUrl: {from: ['failed', 'paused'], why: image => editRefusalText(image, true)},
};

function editRefusalText(image: Subject, urls: boolean): string {
	if (image.status === 'missing') return `image ${image.id} is missing its file: retry or remove it before editing it`;
	if (image.status === 'complete' && urls) {
		return `image ${image.id} is complete: only its name, version, arch and edition can be changed (its URLs only while it is failed or paused)`;
	}

	return `image ${image.id} is ${image.status}: it cannot be edited while it is queued or running (pause it first)`;
}

/** May `action` run on `image` now? If not, the reason, naming the image and its state. */
export function checkAction(action: LibraryAction, image: Subject): Verdict {
	const rule = RULES[action];
	if (rule.from.includes(image.status) || rule.also?.(image)) return {allowed: true};
	return {allowed: false, reason: typeof rule.why === 'string' ? `image ${image.id} is ${image.status}; ${rule.why}` : rule.why(image)};
}

/** The states in which `action` may run (whatever else the rule looks at). */
export function statesAllowing(action: LibraryAction): readonly Status[] {
	return RULES[action].from;
}

/** Throws IllegalTransitionError (code `illegal_transition`, the reason as its message) unless allowed. */
export function assertAllowed(action: LibraryAction, image: Subject): void {
	const verdict = checkAction(action, image);
	if (!verdict.allowed) throw new IllegalTransitionError(image.id, image.status, action, verdict.reason);
}

/** Complete and checked against a digest the user or the publisher gave (not only recorded). */
export function isVerified(image: Pick<Image, 'status' | 'expectedChecksum'>): boolean {
	return image.status === 'complete' && image.expectedChecksum !== null;
}
