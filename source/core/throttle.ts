/**
 * Runs `fn` at most once per `intervalMs`. A request made when the last run is old enough runs on the next turn
 * of the event loop (so a burst of synchronous requests is one run); otherwise once when the interval is over.
 */
export class Throttle {
	private timer: NodeJS.Timeout | undefined;
	private last = Number.NEGATIVE_INFINITY;

	constructor(
		private readonly fn: () => void,
		private readonly intervalMs: number,
		private readonly now: () => number = Date.now,
	) {}

	request(): void {
		if (this.timer) return;
		const wait = Math.max(0, this.last + this.intervalMs - this.now());
		this.timer = setTimeout(() => {
			this.timer = undefined;
			this.run();
		}, wait);
		this.timer.unref();
	}

	/** Run now if a run is waiting. */
	flush(): void {
		if (!this.timer) return;
		this.cancel();
		this.run();
	}

	/** Count a run made some other way (the same work done by another path): the interval starts again now. */
	restart(): void {
		this.cancel();
		this.last = this.now();
	}

	cancel(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
	}

	private run(): void {
		this.last = this.now();
		this.fn();
	}
}
