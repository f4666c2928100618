/**
 * Marks and the actions that run on every marked image: which images an action applies to now, and which it
 * skips and why ("2 skipped: not running"), so that one confirmation can name how many. Pure.
 */
import {checkAction, type Image, type LibraryAction} from '../core/index.js';
import type {Row} from './tree.js';

export type BulkAction = Extract<LibraryAction, 'pause' | 'resume' | 'cancel' | 'retry' | 'verify' | 'remove'>;

/** What the confirmation says of the images an action skips (whether it applies is the rules module's word). */
const WHY_NOT: Record<BulkAction, string> = {
	pause: 'not queued or running',
	resume: 'not paused',
	cancel: 'not queued, paused or running',
	retry: 'not failed or missing',
	verify: 'not complete',
	remove: '',
};

export function appliesTo(action: BulkAction, image: Image): boolean {
	return checkAction(action, image).allowed;
}

export type BulkPlan = {action: BulkAction; targets: Image[]; skipped: number; why: string};

export function planBulk(action: BulkAction, images: readonly Image[]): BulkPlan {
	const targets = images.filter(image => appliesTo(action, image));
	return {action, targets, skipped: images.length - targets.length, why: WHY_NOT[action]};
}

/** `p` on marked images: resume them if every applicable one is paused, else pause. */
export function pauseOrResume(images: readonly Image[]): BulkAction {
	return images.some(image => appliesTo('pause', image)) ? 'pause' : 'resume';
}

/** Space on a row: a file toggles itself; a group marks all its files, or unmarks them when all are marked. */
export function toggleMarks(marked: ReadonlySet<string>, row: Row): Set<string> {
	const next = new Set(marked);
	const all = row.imageIds.length > 0 && row.imageIds.every(id => next.has(id));
	for (const id of row.imageIds) {
		if (all) next.delete(id);
		else next.add(id);
	}

	return next;
}

/** Marks of images that no longer exist are dropped. */
export function liveMarks(marked: ReadonlySet<string>, byId: ReadonlyMap<string, Image>): Set<string> {
	return new Set([...marked].filter(id => byId.has(id)));
}

export const VERBS: Record<BulkAction, [title: string, done: string]> = {
	pause: ['Pause', 'Paused'],
	resume: ['Resume', 'Resumed'],
	cancel: ['Cancel', 'Cancelled'],
	retry: ['Retry', 'Retrying'],
	verify: ['Verify', 'Verifying'],
	remove: ['Remove', 'Removed'],
};

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
