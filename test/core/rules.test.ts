/** The rules module: for every action and state, allowed or refused, and a refusal names the image, its state and why. */
import {describe, expect, it} from 'vitest';
import {LIBRARY_ACTIONS, assertAllowed, checkAction, isVerified, statesAllowing, type LibraryAction} from '../../source/core/rules.js';
import {IllegalTransitionError} from '../../source/core/catalogue/transitions.js';
import {STATUSES, type Status} from '../../source/core/types.js';

const ALLOWED: Record<LibraryAction, readonly Status[]> = {
	pause: ['pending', 'downloading'],
	resume: ['paused'],
	cancel: ['pending', 'downloading', 'paused', 'verifying'],
	retry: ['failed', 'missing'],
	verify: ['complete', 'missing'],
	remove: STATUSES,
	edit: ['complete', 'failed', 'paused'],
	editUrl: ['failed', 'paused'],
};

describe('rules', () => {
	for (const action of LIBRARY_ACTIONS) {
		it(`${action}: allowed exactly in ${ALLOWED[action].join(', ')}; refused elsewhere with the reason`, () => {
			expect([...statesAllowing(action)].sort()).toEqual([...ALLOWED[action]].sort());
			for (const status of STATUSES) {
				const image = {id: 'abc123', status, errorCode: null};
				const verdict = checkAction(action, image);
				expect(verdict.allowed, `${action} on ${status}`).toBe(ALLOWED[action].includes(status));
				if (verdict.allowed) {
					expect(() => assertAllowed(action, image)).not.toThrow();
					continue;
				}

				expect(verdict.reason).toMatch(new RegExp(`^image abc123 is ${status === 'missing' && action.startsWith('edit') ? 'missing its file' : status}[;:] `));
				let thrown: unknown;
				try {
					assertAllowed(action, image);
				} catch (error) {
					thrown = error;
				}

				expect(thrown).toBeInstanceOf(IllegalTransitionError);
				expect(thrown).toMatchObject({code: 'illegal_transition', message: verdict.reason, imageId: 'abc123', from: status, attempted: action});
			}
		});
	}

	it('verify also runs on a failed image whose file was found corrupt (it may have been put right), not on other failures', () => {
		expect(checkAction('verify', {id: 'a', status: 'failed', errorCode: 'corrupt'}).allowed).toBe(true);
		expect(checkAction('verify', {id: 'a', status: 'failed', errorCode: 'network'}).allowed).toBe(false);
	});

	it('a URL edit of a complete image is refused with what can be changed instead', () => {
		expect(checkAction('editUrl', {id: 'a', status: 'complete'})).toEqual({
			allowed: false,
			reason: 'image a is complete: only its name, version, arch and edition can be changed (its URLs only while it is failed or paused)',
		});
	});

	it('verified: complete and checked against a digest that was given, nothing else', () => {
		expect(isVerified({status: 'complete', expectedChecksum: 'ab'})).toBe(true);
		expect(isVerified({status: 'complete', expectedChecksum: null})).toBe(false);
		expect(isVerified({status: 'failed', expectedChecksum: 'ab'})).toBe(false);
	});
});
