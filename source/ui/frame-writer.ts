/**
 * Our own incremental, throttled output for the alternate screen.
 *
 * Why not Ink's: in Ink 6.8.0 `incrementalRendering` moves the cursor up one line too few when the frame ends with
 * a newline — which it does whenever the frame is shorter than the terminal, as ours must be (`rows - 1`, or Ink
 * clears the whole terminal every frame) — so every frame lands one line lower (seen in tmux; Ink 7 reworked it).
 * So Ink renders in debug mode (each commit writes the complete frame, no cursor tricks) into `stream`, a stand-in
 * stdout, and this writer puts on the real terminal only the lines that changed, at absolute positions, at most
 * `maxFps` times a second, each batch inside a synchronized-update bracket. A frame that answers a key press is
 * not held back: `expedite()` (called on every key) lets the frames of the next EXPEDITE_MS through at once, so a
 * key never waits for the progress frames' interval (measured: bench item 8, key → frame during 4 downloads).
 */
import {EventEmitter} from 'node:events';

const BEGIN_SYNC = '\x1b[?2026h';
const END_SYNC = '\x1b[?2026l';

/** How long after a key press frames skip the throttle (a key's commit, and the one its layout effect causes). */
export const EXPEDITE_MS = 100;

export type FrameWriterOptions = {maxFps: number; now?: () => number};

/** The stdout Ink writes to: sizes and resize events come from the real terminal, frames go to the writer. */
export class FrameStream extends EventEmitter {
	readonly isTTY = true;
	constructor(
		private readonly real: NodeJS.WriteStream,
		private readonly onFrame: (frame: string) => void,
	) {
		super();
	}

	get columns(): number {
		return this.real.columns || 80;
	}

	get rows(): number {
		return this.real.rows || 24;
	}

	write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
		this.onFrame(typeof chunk === 'string' ? chunk : String(chunk));
		const cb = typeof encoding === 'function' ? encoding : callback;
		if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
		return true;
	}
}

export class FrameWriter {
	readonly stream: FrameStream;
	private previous: string[] = [];
	private pending: string | undefined;
	private timer: NodeJS.Timeout | undefined;
	private lastFlush = -Infinity;
	private clearFirst = false;
	private closed = false;
	private readonly intervalMs: number;
	private readonly now: () => number;
	private expediteUntil = -Infinity;

	constructor(
		private readonly out: NodeJS.WriteStream,
		options: FrameWriterOptions,
	) {
		this.intervalMs = 1000 / Math.max(1, options.maxFps);
		this.now = options.now ?? Date.now;
		this.stream = new FrameStream(out, frame => this.submit(frame));
		out.on('resize', this.onResize);
	}

	/** A complete frame from Ink: written now, or at the end of the current frame interval. */
	submit(frame: string): void {
		if (this.closed) return;
		this.pending = frame;
		if (this.now() < this.expediteUntil) {
			this.flush();
			return;
		}

		if (this.timer) return;
		const wait = this.lastFlush + this.intervalMs - this.now();
		if (wait <= 0) {
			this.flush();
			return;
		}

		this.timer = setTimeout(() => {
			this.timer = undefined;
			this.flush();
		}, wait);
	}

	flush(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		if (this.pending === undefined || this.closed) return;
		const lines = this.pending.split('\n');
		this.pending = undefined;
		this.lastFlush = this.now();
		let out = this.clearFirst ? '\x1b[H\x1b[2J' : '';
		this.clearFirst = false;
		const count = Math.max(lines.length, this.previous.length);
		for (let i = 0; i < count; i++) {
			const line = lines[i];
			if (line === this.previous[i]) continue;
			// Erase first, then write: erasing after a full-width line would eat its last character.
			out += `\x1b[${i + 1};1H\x1b[2K${line ?? ''}\x1b[0m`;
		}

		this.previous = lines;
		if (out === '') return;
		try {
			this.out.write(BEGIN_SYNC + out + END_SYNC);
		} catch {
			// The terminal went away (SIGHUP): the exit path takes it from here.
		}
	}

	/** A key was pressed: the frames of the next EXPEDITE_MS are written as they come, and one held back now. */
	expedite(): void {
		this.expediteUntil = this.now() + EXPEDITE_MS;
		if (this.timer) this.flush();
	}

	/** Forget what is on screen: the next frame repaints everything. */
	invalidate(): void {
		this.previous = [];
		this.clearFirst = true;
	}

	close(): void {
		this.closed = true;
		clearTimeout(this.timer);
		this.timer = undefined;
		this.out.off('resize', this.onResize);
	}

	private readonly onResize = () => {
		this.invalidate();
		this.stream.emit('resize');
	};
}
