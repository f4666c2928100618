/** Smoothed transfer rate and ETA from a short window of samples (a fixed ring: memory stays flat). */
import {Throttle} from './throttle.js';

export type Progress = {
	id: string;
	phase: 'preparing' | 'downloading' | 'verifying';
	downloaded: number;
	total: number | null;
	/** Bytes per second over the last few seconds. */
	rate: number;
	/** Seconds, or null when it cannot be told. */
	eta: number | null;
	/** No byte for a few seconds. */
	stalled: boolean;
	/** Set while the transfer waits to retry after a failed attempt (cleared by the next progress). */
	retry?: RetryState;
};

export type RetryState = {
	/** Consecutive failed attempts since the last progress (1 = the first retry). */
	attempt: number;
	/** Retries allowed before the download fails. */
	max: number;
	/** When the next attempt starts (epoch ms). */
	at: number;
	/** Why the last attempt failed (as the engine said it). */
	reason: string;
};

const WINDOW_MS = 5000;
const STALL_MS = 3000;
const SLOTS = 64;

export class RateMeter {
	private readonly times = new Float64Array(SLOTS);
	private readonly bytes = new Float64Array(SLOTS);
	private head = 0;
	private count = 0;
	private lastChange = 0;
	private lastBytes = -1;

	constructor(private readonly now: () => number = Date.now) {}

	/** Record the running byte count. Samples closer than 100 ms apart replace each other. */
	sample(total: number): void {
		const t = this.now();
		if (total !== this.lastBytes) {
			this.lastBytes = total;
			this.lastChange = t;
		}

		const last = (this.head + SLOTS - 1) % SLOTS;
		if (this.count > 0 && t - this.times[last]! < 100) {
			this.bytes[last] = total;
			return;
		}

		this.times[this.head] = t;
		this.bytes[this.head] = total;
		this.head = (this.head + 1) % SLOTS;
		this.count = Math.min(SLOTS, this.count + 1);
	}

	rate(): number {
		if (this.count < 2) return 0;
		const t = this.now();
		const newest = (this.head + SLOTS - 1) % SLOTS;
		let oldest = newest;
		for (let i = 1; i < this.count; i++) {
			const index = (newest + SLOTS - i) % SLOTS;
			if (t - this.times[index]! > WINDOW_MS) break;
			oldest = index;
		}

		const span = Math.max(t, this.times[newest]!) - this.times[oldest]!;
		if (span <= 0) return 0;
		return Math.max(0, (this.bytes[newest]! - this.bytes[oldest]!) / (span / 1000));
	}

	stalled(): boolean {
		return this.lastBytes >= 0 && this.now() - this.lastChange > STALL_MS;
	}

	eta(done: number, total: number | null): number | null {
		if (total === null || total <= 0) return null;
		const rate = this.rate();
		if (rate <= 0) return null;
		return Math.max(0, (total - done) / rate);
	}
}

/**
 * The live progress of a library's transfers and verifications, announced coalesced: `set` and `delete` mark it
 * changed, and `onChange` gets the whole snapshot at most once per `intervalMs`.
 */
export class ProgressBoard {
	private readonly entries = new Map<string, Progress>();
	private dirty = false;
	private closed = false;
	private readonly throttle: Throttle;

	constructor(private readonly onChange: (all: Progress[]) => void, intervalMs = 100) {
		this.throttle = new Throttle(() => this.flush(), intervalMs);
	}

	set(progress: Progress): void {
		this.entries.set(progress.id, progress);
		this.changed();
	}

	delete(id: string): void {
		if (this.entries.delete(id)) this.changed();
	}

	/** Nothing is in progress any more (announced like any change). */
	clear(): void {
		if (this.entries.size === 0) return;
		this.entries.clear();
		this.changed();
	}

	snapshot(): Progress[] {
		return [...this.entries.values()];
	}

	/** Announce now what is pending. */
	flush(): void {
		if (!this.dirty) return;
		this.dirty = false;
		this.onChange(this.snapshot());
	}

	close(): void {
		this.closed = true;
		this.throttle.cancel();
	}

	private changed(): void {
		this.dirty = true;
		if (!this.closed) this.throttle.request();
	}
}
