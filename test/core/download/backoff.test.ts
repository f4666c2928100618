import {describe, expect, it} from 'vitest';
import {backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep} from '../../../source/core/download/backoff.js';
import {seededRandom} from './helpers.js';

describe('isRetryableStatus', () => {
	it('retries 408, 425, 429 and the 5xx that mean "try again"', () => {
		for (const s of [408, 425, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s), String(s)).toBe(true);
		for (const s of [200, 206, 301, 304, 400, 401, 403, 404, 410, 416, 501, 505]) expect(isRetryableStatus(s), String(s)).toBe(false);
	});
});

describe('backoffDelay', () => {
	const opts = {baseMs: 100, maxMs: 5000};

	it('is full jitter: within [0, min(max, base·2^(n-1))] and spread over the whole range', () => {
		const random = seededRandom(42);
		for (let attempt = 1; attempt <= 12; attempt++) {
			const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
			const samples = Array.from({length: 400}, () => backoffDelay(attempt, opts, random));
			for (const d of samples) {
				expect(d).toBeGreaterThanOrEqual(0);
				expect(d).toBeLessThanOrEqual(cap);
				expect(Number.isInteger(d)).toBe(true);
			}

			// Full jitter, not "half" or "equal" jitter: values near 0 and near the cap both occur.
			expect(Math.min(...samples)).toBeLessThan(cap * 0.1);
			expect(Math.max(...samples)).toBeGreaterThan(cap * 0.9);
		}
	});

	it('hits the bounds exactly at random() = 0 and → 1, and stays capped for huge attempts', () => {
		expect(backoffDelay(1, opts, () => 0)).toBe(0);
		expect(backoffDelay(1, opts, () => 0.999_999_9)).toBe(100);
		expect(backoffDelay(3, opts, () => 0.999_999_9)).toBe(400);
		expect(backoffDelay(7, opts, () => 0.999_999_9)).toBe(5000);
		expect(backoffDelay(10_000, opts, () => 0.5)).toBe(2500);
		expect(backoffDelay(0, opts, () => 0.5)).toBe(50);
	});
});

describe('parseRetryAfter', () => {
	const now = Date.UTC(2025, 0, 1, 12, 0, 0);

	it('reads delta-seconds', () => {
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter(' 0 ', now)).toBe(0);
		expect(parseRetryAfter('120', now)).toBe(120_000);
	});

	it('reads an HTTP date relative to now, never negative', () => {
		expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
		expect(parseRetryAfter('Wed, 01 Jan 2025 12:00:05 GMT', now)).toBe(5000);
		expect(parseRetryAfter(new Date(now - 60_000).toUTCString(), now)).toBe(0);
	});

	it('caps long waits at 10 minutes', () => {
		expect(MAX_RETRY_AFTER_MS).toBe(600_000);
		expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
		expect(parseRetryAfter(new Date(now + 7 * 86_400_000).toUTCString(), now)).toBe(MAX_RETRY_AFTER_MS);
	});

	it('ignores absent or unparseable values', () => {
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
		expect(parseRetryAfter('', now)).toBeUndefined();
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter('-5', now)).toBeUndefined();
	});
});

describe('sleep', () => {
	it('rejects with the signal reason when aborted, already or while waiting', async () => {
		const reason = new Error('paused by user');
		await expect(sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
		const controller = new AbortController();
		const waiting = sleep(60_000, controller.signal);
		controller.abort(reason);
		await expect(waiting).rejects.toBe(reason);
	});

	it('resolves at once for 0 ms', async () => {
		await expect(sleep(0)).resolves.toBeUndefined();
	});
});
