/**
 * What the front ends were last told about each row, and the changes since: the one place that turns other
 * processes' writes (seen through SQLite's data_version and each row's change stamp) into `change` events, for
 * the owner and for a client alike.
 */
import type {Catalogue} from './catalogue/repository.js';
import type {ImageChange} from './library.js';
import type {Image, Status} from './types.js';

/**
 * Everything the front ends show about a row, as one comparable string (status first; served bytes last: serving
 * does not touch updated_at). Catalogue.stamps() builds the same string in SQL.
 */
function stamp(image: Image): string {
	return `${image.status}|${image.updatedAt}|${image.downloadedBytes}|${image.bytesServed}`;
}

export class ChangeFeed {
	private readonly known = new Map<string, string>();
	private lastDataVersion: number;

	constructor(
		private readonly catalogue: Catalogue,
		private readonly emit: (change: ImageChange) => void,
	) {
		this.lastDataVersion = catalogue.dataVersion();
		for (const [id, value] of catalogue.stamps()) this.known.set(id, value);
	}

	/** Tell the front ends about a change made through this connection. */
	announce(change: ImageChange): void {
		if (change.type === 'removed') this.known.delete(change.id);
		else this.known.set(change.image.id, stamp(change.image));
		this.emit(change);
	}

	/** The status the front ends were last told an image has. */
	toldStatus(id: string): Status | undefined {
		return this.known.get(id)?.split('|')[0] as Status | undefined;
	}

	/**
	 * Compare the catalogue with what was announced and announce the differences. Cheap when no other connection
	 * committed (PRAGMA data_version); `force` compares anyway. Returns the rows read, or undefined when skipped.
	 */
	poll(force = false): Image[] | undefined {
		const version = this.catalogue.dataVersion();
		if (version === this.lastDataVersion && !force) return undefined;
		this.lastDataVersion = version;
		const rows = this.catalogue.list();
		const seen = new Set<string>();
		for (const image of rows) {
			seen.add(image.id);
			const before = this.known.get(image.id);
			if (before === undefined) this.announce({type: 'added', image});
			else if (before !== stamp(image)) this.announce({type: 'updated', image, previous: before.split('|')[0] as Status});
		}

		for (const id of [...this.known.keys()]) {
			if (!seen.has(id)) this.announce({type: 'removed', id});
		}

		return rows;
	}
}

/** Run `step` every `intervalMs`, never two at once; its errors go to `onError`. */
export function pollEvery(intervalMs: number, step: () => Promise<void>, onError: (error: unknown) => void): NodeJS.Timeout {
	let busy = false;
	return setInterval(() => {
		if (busy) return;
		busy = true;
		step()
			.catch(onError)
			.finally(() => {
				busy = false;
			});
	}, intervalMs);
}
