/**
 * The last 200 notices and events the TUI was told about (engine notices, command results, downloads that
 * completed or failed), newest last, for the notices view. A fixed-size ring: memory stays flat.
 */
export type LoggedNotice = {ts: number; level: 'info' | 'warn' | 'error'; text: string; imageId?: string};

/** Two entries about one image this close together tell of one event (the manager's notice and the row change). */
const SAME_EVENT_MS = 3000;

export const NOTICE_LIMIT = 200;

export class NoticeLog {
	private readonly entries: LoggedNotice[] = [];
	private version = 0;
	constructor(private readonly limit = NOTICE_LIMIT) {}

	add(level: LoggedNotice['level'], text: string, ts = Date.now(), imageId?: string): void {
		if (imageId !== undefined) {
			const last = this.entries.findLast(entry => entry.imageId === imageId);
			if (last && last.level === level && ts - last.ts < SAME_EVENT_MS) return;
		}

		this.entries.push({ts, level, text, ...(imageId === undefined ? {} : {imageId})});
		if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
		this.version++;
	}

	/** Oldest first. */
	list(): readonly LoggedNotice[] {
		return this.entries;
	}

	get size(): number {
		return this.entries.length;
	}

	/** Changes with every add (for memoising views). */
	get revision(): number {
		return this.version;
	}
}
