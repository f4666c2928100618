/**
 * Download accounting, off the sending path: responses add to counters in memory; a timer writes them to the
 * catalogue in one transaction every second (and at close). A crash loses at most the last second of counts.
 */
import type {Logger, ServedBatch} from '../../core/index.js';

export type Accounting = {
	/** `bytes` of image `id` were sent. */
	sent(id: string, bytes: number): void;
	/** A whole-file response of image `id` completed. */
	downloaded(id: string): void;
	/** Write what is pending now. */
	flush(): void;
	/** Flush and stop the timer. */
	close(): void;
};

export function createAccounting(write: (batch: ServedBatch) => void, log: Logger, everyMs = 1000): Accounting {
	let pending = new Map<string, {id: string; bytes: number; downloads: string[]}>();
	const entry = (id: string) => {
		let e = pending.get(id);
		if (!e) {
			e = {id, bytes: 0, downloads: []};
			pending.set(id, e);
		}

		return e;
	};

	const flush = () => {
		if (pending.size === 0) return;
		const batch = [...pending.values()];
		pending = new Map();
		try {
			write(batch);
		} catch (error) {
			// A busy or full database must not take serving down; the counts are lost, the files are not.
			log.warn('http.accounting_failed', {error, images: batch.length});
		}
	};

	const timer = setInterval(flush, everyMs);
	timer.unref();
	return {
		sent(id, bytes) {
			if (bytes > 0) entry(id).bytes += bytes;
		},
		downloaded(id) {
			entry(id).downloads.push(new Date().toISOString());
		},
		flush,
		close() {
			clearInterval(timer);
			flush();
		},
	};
}
