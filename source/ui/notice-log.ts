/**
 * The last 200 notices and events the TUI was told about (engine notices, command results, downloads that
 * completed or failed), newest last, for the notices view. A fixed-size ring: memory stays flat.
 */
export type LoggedNotice = {ts: number; level: 'info' | 'warn' | 'error'; text: string};

export const NOTICE_LIMIT = 200;

export class NoticeLog {
	private readonly entries: LoggedNotice[] = [];
	private version = 0;
	constructor(private readonly limit = NOTICE_LIMIT) {}

	add(level: LoggedNotice['level'], text: string, ts = Date.now()): void {
		this.entries.push({ts, level, text});
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
