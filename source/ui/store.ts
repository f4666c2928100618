/**
 * The library as React sees it: an external store fed by the manager's events and batched at the source, so
 * React reconciles at most `maxPerSecond` times a second however fast progress arrives (10/s, 4/s over SSH), and
 * when only progress changed at most `progressPerSecond` times (over SSH once a second: a changed row, a new limit
 * or a notice's row still shows within 250 ms).
 * Components read it with `useSyncExternalStore`; every published snapshot is a new immutable object.
 *
 * In client mode (a daemon owns the library) the manager's `watch()` turns the daemon's writes into the same
 * events, so the store does not care who runs the downloads.
 */
import {Throttle, type Image, type ImageChange, type Library, type Notice, type Progress} from '../core/index.js';

export type LibrarySnapshot = {
	/** Catalogue rows, in no particular order (the tree sorts). */
	readonly images: readonly Image[];
	readonly byId: ReadonlyMap<string, Image>;
	/** Live progress of active transfers and verifications, by image id. */
	readonly progress: ReadonlyMap<string, Progress>;
	/** Increments with every published snapshot. */
	readonly revision: number;
	/** The global bandwidth limit in bytes per second (0 = none), as the process running the downloads has it. */
	readonly maxRate: number;
	/** The pid of the daemon this client followed, once it has stopped (nothing downloads then). */
	readonly ownerGone?: number;
};

export type StoreOptions = {
	/** Snapshots published per second at most (default 10). */
	maxPerSecond?: number;
	/** Snapshots per second at most while only live progress changed (default: maxPerSecond). */
	progressPerSecond?: number;
	now?: () => number;
};

type ManagerLike = Pick<Library, 'list' | 'progressSnapshot' | 'on' | 'off'> & Partial<Pick<Library, 'maxRate'>>;

export class LibraryStore {
	private byId: Map<string, Image>;
	private progress: Map<string, Progress>;
	private snapshot: LibrarySnapshot;
	private readonly listeners = new Set<() => void>();
	private readonly noticeListeners = new Set<(notice: Notice) => void>();
	private imagesDirty = false;
	private progressDirty = false;
	private readonly throttle: Throttle;
	/** Paces the snapshots that carry nothing but new progress. */
	private readonly progressThrottle: Throttle;
	private readonly now: () => number;
	private closed = false;
	private maxRate: number;
	private ownerGone: number | undefined;

	constructor(
		private readonly manager: ManagerLike,
		options: StoreOptions = {},
	) {
		this.now = options.now ?? Date.now;
		const perSecond = Math.max(1, options.maxPerSecond ?? 10);
		this.throttle = new Throttle(() => this.publish(), 1000 / perSecond, this.now);
		this.progressThrottle = new Throttle(() => this.publish(), 1000 / Math.max(1, Math.min(perSecond, options.progressPerSecond ?? perSecond)), this.now);
		this.byId = new Map(manager.list().map(image => [image.id, image]));
		this.progress = new Map(manager.progressSnapshot().map(p => [p.id, p]));
		this.maxRate = manager.maxRate?.() ?? 0;
		this.snapshot = this.build(0);
		manager.on('change', this.onChange);
		manager.on('progress', this.onProgress);
		manager.on('notice', this.relayNotice);
		manager.on('limit', this.onLimit);
		manager.on('ownerGone', this.onOwnerGone);
	}

	// ---- for useSyncExternalStore ----

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): LibrarySnapshot => this.snapshot;

	onNotice(listener: (notice: Notice) => void): () => void {
		this.noticeListeners.add(listener);
		return () => this.noticeListeners.delete(listener);
	}

	// ---- inputs (the manager's events; tests may call them directly) ----

	applyChange(change: ImageChange): void {
		if (change.type === 'removed') {
			this.byId.delete(change.id);
			this.progress.delete(change.id);
			this.progressDirty = true;
		} else {
			this.byId.set(change.image.id, change.image);
			// A row that is no longer running loses its live progress at once, not at the next progress event: the
			// final state replaces the last sample (and the header stops counting it as active).
			const {status} = change.image;
			if (status !== 'downloading' && status !== 'verifying' && this.progress.delete(change.image.id)) this.progressDirty = true;
		}

		this.imagesDirty = true;
		this.schedule();
	}

	/** Replace the live progress with this list (the manager sends every active transfer each time). */
	setProgress(list: readonly Progress[]): void {
		// A sample taken before a row finished must not bring its bar back.
		this.progress = new Map(
			list
				.filter(p => {
					const status = this.byId.get(p.id)?.status;
					return status === undefined || status === 'downloading' || status === 'verifying' || status === 'pending';
				})
				.map(p => [p.id, p]),
		);
		this.progressDirty = true;
		this.schedule();
	}

	/** Re-read every row (client mode, or after something outside the manager's events). */
	reload(): void {
		this.byId = new Map(this.manager.list().map(image => [image.id, image]));
		this.imagesDirty = true;
		this.schedule();
	}

	/** Publish pending changes now (tests, and before a frame that must be exact). */
	flush(): void {
		this.throttle.cancel();
		this.progressThrottle.cancel();
		if (!this.imagesDirty && !this.progressDirty) return;
		this.publish();
	}

	close(): void {
		this.closed = true;
		this.throttle.cancel();
		this.progressThrottle.cancel();
		this.manager.off('change', this.onChange);
		this.manager.off('progress', this.onProgress);
		this.manager.off('notice', this.relayNotice);
		this.manager.off('limit', this.onLimit);
		this.manager.off('ownerGone', this.onOwnerGone);
		this.listeners.clear();
		this.noticeListeners.clear();
	}

	// ---- internals ----

	private readonly onChange = (change: ImageChange) => this.applyChange(change);
	private readonly onProgress = (list: Progress[]) => this.setProgress(list);
	private readonly onLimit = (rate: number) => {
		this.maxRate = rate;
		this.imagesDirty = true;
		this.schedule();
	};
	private readonly onOwnerGone = (pid: number) => {
		this.ownerGone = pid;
		this.imagesDirty = true;
		this.schedule();
	};

	private readonly relayNotice = (notice: Notice) => {
		for (const listener of this.noticeListeners) listener(notice);
	};

	private schedule(): void {
		if (this.closed) return;
		if (this.imagesDirty) {
			this.progressThrottle.cancel();
			this.throttle.request();
		} else this.progressThrottle.request();
	}

	private publish(): void {
		// Whichever throttle ran, both intervals start now: progress stays at its pace around a row's change.
		this.throttle.restart();
		this.progressThrottle.restart();
		this.snapshot = this.build(this.snapshot.revision + 1);
		for (const listener of this.listeners) listener();
	}

	private build(revision: number): LibrarySnapshot {
		const images = this.imagesDirty || revision === 0 ? [...this.byId.values()] : this.snapshot.images;
		const byId = this.imagesDirty || revision === 0 ? new Map(this.byId) : this.snapshot.byId;
		const progress = this.progressDirty || revision === 0 ? new Map(this.progress) : this.snapshot.progress;
		this.imagesDirty = false;
		this.progressDirty = false;
		return {images, byId, progress, revision, maxRate: this.maxRate, ...(this.ownerGone === undefined ? {} : {ownerGone: this.ownerGone})};
	}
}
