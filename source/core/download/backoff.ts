/**
 * Retry timing: exponential backoff with full jitter, honouring `Retry-After`.
 */

export type BackoffOptions = {baseMs: number; maxMs: number};

/** Longest wait a `Retry-After` header can impose. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** 408, 425, 429, 500, 502, 503 and 504 are worth retrying; every other status is final. */
export function isRetryableStatus(status: number): boolean {
	return RETRYABLE_STATUSES.has(status);
}

/**
 * Delay before retry number `attempt` (1 = the first retry): a uniformly random value in
 * [0, min(maxMs, baseMs · 2^(attempt-1))] ("full jitter"), rounded to whole milliseconds.
 */
export function backoffDelay(attempt: number, {baseMs, maxMs}: BackoffOptions, random: () => number = Math.random): number {
	const exponent = Math.max(0, Math.floor(attempt) - 1);
	const cap = Math.max(0, Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 52)));
	const r = Math.min(1, Math.max(0, random()));
	return Math.round(r * cap);
}

/**
 * `Retry-After` as a delay in ms: either delta-seconds or an HTTP date. Returns undefined when absent or
 * unparseable; never negative; capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | undefined {
	if (header === undefined) return undefined;
	const value = header.trim();
	if (value === '') return undefined;
	let ms: number;
	if (/^\d+$/.test(value)) {
		ms = Number(value) * 1000;
	} else if (/^\d*\.\d+$/.test(value)) {
		// Not valid per RFC 9110, but some servers send it; read it the obvious way.
		ms = Math.round(Number(value) * 1000);
	} else {
		// HTTP dates name the weekday and a month; a bare number is not a date.
		if (!/[a-z]/i.test(value)) return undefined;
		const at = Date.parse(value);
		if (Number.isNaN(at)) return undefined;
		ms = at - now;
	}

	if (!Number.isFinite(ms)) return MAX_RETRY_AFTER_MS;
	return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Waits `ms`; rejects with `signal.reason` as soon as the signal aborts (or at once if it already has). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw signal.reason;
	if (ms <= 0) return;
	await new Promise<void>((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};

		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal?.addEventListener('abort', onAbort, {once: true});
	});
}

/**
 * Calls `onIdle` once if `touch()` is not called for `ms` (while not paused). One timer, re-armed only when it
 * fires, so touching it per chunk costs a clock read.
 */
export class IdleWatchdog {
	private last = performance.now();
	private paused = false;
	private stopped = false;
	private timer: ReturnType<typeof setTimeout>;

	constructor(
		private readonly ms: number,
		private readonly onIdle: () => void,
	) {
		this.timer = setTimeout(this.check, ms);
	}

	touch(): void {
		this.last = performance.now();
	}

	/** Stop counting (e.g. while waiting for the disk, which is not the network's fault). */
	pause(): void {
		this.paused = true;
	}

	resume(): void {
		this.paused = false;
		this.last = performance.now();
	}

	stop(): void {
		this.stopped = true;
		clearTimeout(this.timer);
	}

	private readonly check = (): void => {
		if (this.stopped) return;
		const idle = performance.now() - this.last;
		if (this.paused || idle < this.ms) {
			this.timer = setTimeout(this.check, this.paused ? this.ms : Math.max(1, this.ms - idle));
			return;
		}

		this.stopped = true;
		this.onIdle();
	};
}
