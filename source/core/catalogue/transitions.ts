/** The legal state changes of an image, in one table. Everything that changes `status` goes through here. */
import type {EventKind, Status} from '../types.js';
import {IsomanError} from '../types.js';

export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
	// pending → verifying: an existing final file is adopted instead of downloaded.
	pending: ['downloading', 'verifying', 'paused', 'failed'],
	// downloading → pending: shutdown, or recovery after a crash.
	downloading: ['verifying', 'paused', 'failed', 'pending'],
	verifying: ['complete', 'failed', 'pending'],
	// complete → failed: re-verification found corruption (code `corrupt`).
	complete: ['missing', 'failed'],
	paused: ['pending', 'failed'],
	// failed/missing → complete: re-verification of a file that is (again) right.
	failed: ['pending', 'complete'],
	missing: ['pending', 'complete'],
};

/**
 * The one error for an action or state change that may not happen now: `attempted` is an action of rules.ts
 * (pause, retry, …) or, from the catalogue, the status the row was to take.
 */
export class IllegalTransitionError extends IsomanError {
	constructor(
		readonly imageId: string,
		readonly from: Status,
		readonly attempted: string,
		message = `image ${imageId} is ${from}; it cannot become ${attempted}`,
	) {
		super('illegal_transition', message);
		this.name = 'IllegalTransitionError';
	}
}

export function canTransition(from: Status, to: Status): boolean {
	return TRANSITIONS[from].includes(to);
}

/** The audit event a transition records. */
export function eventKindFor(from: Status, to: Status, errorCode?: string | null): EventKind {
	switch (to) {
		case 'downloading':
			return 'started';
		case 'paused':
			return 'paused';
		case 'complete':
			return from === 'verifying' ? 'completed' : 'verified';
		case 'missing':
			return 'missing';
		case 'failed':
			return errorCode === 'cancelled' ? 'cancelled' : 'failed';
		case 'verifying':
			return 'started';
		case 'pending':
			if (from === 'paused') return 'resumed';
			if (from === 'failed' || from === 'missing') return 'retried';
			return 'requeued';
	}
}
