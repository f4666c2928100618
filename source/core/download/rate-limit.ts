/**
 * Bandwidth limits: a token bucket per limit (the global one shared by every transfer, one per image).
 *
 * Bytes are taken as they arrive from the network; a take that overdraws the bucket waits until the debt is paid
 * back at the current rate, so the average is exact whatever the chunk sizes. The bucket holds at most
 * BURST_SECONDS of tokens: after an idle moment a transfer may run ahead by a quarter second, never by seconds. While a
 * transfer waits, it reads nothing, so the kernel's receive window fills and the server slows down (TCP
 * backpressure): the limit holds on the wire, not just on disk. A rate change applies to waiters within
 * MAX_WAIT_MS, without restarting anything.
 */
import {sleep} from './backoff.js';

/**
 * Tokens the bucket can hold, in seconds of the rate: also how late a waiter may wake (a busy event loop, a loaded
 * machine) without the time being lost. Measured: 50 ms lost 10–20 % of the rate at load 11 on 2 cores.
 */
export const BURST_SECONDS = 0.25;
/** The smallest burst, so that tiny rates still let one network read through at once. */
const MIN_BURST_BYTES = 16 * 1024;
/** Longest single wait: a waiter looks at the (possibly changed) rate at least this often. */
export const MAX_WAIT_MS = 100;

export class TokenBucket {
	private tokens = 0;
	private last: number;
	private current: number;
	private readonly watchers = new Set<(rate: number) => void>();

	/** `rate` in bytes per second; 0 = no limit. */
	constructor(
		rate: number,
		private readonly now: () => number = () => performance.now(),
	) {
		this.current = rate;
		this.last = now();
		this.tokens = this.burst();
	}

	get rate(): number {
		return this.current;
	}

	/** Change the rate now; waiting takers pick it up within MAX_WAIT_MS. */
	setRate(rate: number): void {
		if (rate === this.current) return;
		this.refill();
		this.current = rate;
		this.tokens = Math.min(this.tokens, this.burst());
		for (const watcher of this.watchers) watcher(rate);
	}

	/** Calls `watcher` with each new rate (a transfer thread keeps a copy of this bucket); returns how to stop. */
	watch(watcher: (rate: number) => void): () => void {
		this.watchers.add(watcher);
		return () => this.watchers.delete(watcher);
	}

	/** Takes `bytes`; resolves when they may pass (at once when unlimited or in credit). */
	async take(bytes: number, signal?: AbortSignal): Promise<void> {
		if (this.current <= 0) return;
		this.refill();
		this.tokens -= bytes;
		while (this.tokens < 0 && this.current > 0) {
			const ms = Math.min(MAX_WAIT_MS, Math.max(1, (-this.tokens / this.current) * 1000));
			await sleep(ms, signal);
			this.refill();
		}

		if (this.current <= 0) this.tokens = 0;
	}

	private burst(): number {
		return Math.max(MIN_BURST_BYTES, this.current * BURST_SECONDS);
	}

	private refill(): void {
		const t = this.now();
		const elapsed = Math.max(0, t - this.last) / 1000;
		this.last = t;
		if (this.current > 0) this.tokens = Math.min(this.burst(), this.tokens + elapsed * this.current);
	}
}

/** Takes from every bucket in turn: the transfer runs at the lowest of their rates. */
export function limiter(buckets: ReadonlyArray<TokenBucket>): (bytes: number, signal?: AbortSignal) => Promise<void> {
	return async (bytes, signal) => {
		for (const bucket of buckets) await bucket.take(bytes, signal);
	};
}
