import {EventEmitter} from 'node:events';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Progress} from '../../source/core/progress.js';
import {LibraryStore} from '../../source/ui/store.js';
import {image} from './helpers/image.js';

function fakeManager() {
	const emitter = new EventEmitter() as EventEmitter & {list(): []; progressSnapshot(): []};
	emitter.list = () => [];
	emitter.progressSnapshot = () => [];
	return emitter;
}

const progress = (downloaded: number): Progress => ({id: 'a', phase: 'downloading', downloaded, total: 1000, rate: 1, eta: 1, stalled: false});

afterEach(() => {
	vi.useRealTimers();
});

describe('LibraryStore', () => {
	it('publishes at most maxPerSecond snapshots a second however fast progress arrives, and the last one wins', () => {
		vi.useFakeTimers();
		const manager = fakeManager();
		const store = new LibraryStore(manager as never, {maxPerSecond: 10});
		let published = 0;
		store.subscribe(() => published++);
		// 1000 events over one second (one per ms).
		for (let i = 1; i <= 1000; i++) {
			manager.emit('progress', [progress(i)]);
			vi.advanceTimersByTime(1);
		}

		vi.advanceTimersByTime(200);
		expect(published).toBeGreaterThanOrEqual(9);
		expect(published).toBeLessThanOrEqual(11);
		expect(store.getSnapshot().progress.get('a')?.downloaded).toBe(1000);
		store.close();
	});

	it('publishes 4 a second when asked to (SSH, --low-bandwidth)', () => {
		vi.useFakeTimers();
		const manager = fakeManager();
		const store = new LibraryStore(manager as never, {maxPerSecond: 4});
		let published = 0;
		store.subscribe(() => published++);
		for (let i = 1; i <= 2000; i++) {
			manager.emit('progress', [progress(i)]);
			vi.advanceTimersByTime(1);
		}

		expect(published).toBeLessThanOrEqual(9);
		expect(published).toBeGreaterThanOrEqual(7);
		store.close();
	});

	it('paces progress-only snapshots by progressPerSecond (once a second over SSH) but shows a changed row within the faster interval', () => {
		vi.useFakeTimers();
		const manager = fakeManager();
		const store = new LibraryStore(manager as never, {maxPerSecond: 4, progressPerSecond: 1});
		const times: number[] = [];
		store.subscribe(() => times.push(Date.now()));
		const start = Date.now();
		// 3 s of progress, one event per ms.
		for (let i = 1; i <= 3000; i++) {
			manager.emit('progress', [progress(i)]);
			vi.advanceTimersByTime(1);
		}

		expect(times.length).toBeGreaterThanOrEqual(3);
		expect(times.length).toBeLessThanOrEqual(4);
		for (let k = 1; k < times.length; k++) expect(times[k]! - times[k - 1]!).toBeGreaterThanOrEqual(1000);
		// Progress keeps coming; a row changes: it is published within 250 ms, not at the next progress slot.
		const last = times.at(-1)!;
		vi.advanceTimersByTime(Math.max(0, last + 300 - Date.now()));
		const changedAt = Date.now();
		manager.emit('change', {type: 'updated', image: image('alpine', '3.20', {id: 'a', status: 'paused'}), previous: 'downloading'});
		for (let i = 0; i < 260; i++) {
			manager.emit('progress', [progress(4000 + i)]);
			vi.advanceTimersByTime(1);
		}

		const after = times.filter(t => t >= changedAt);
		expect(after.length).toBe(1);
		expect(after[0]! - changedAt).toBeLessThanOrEqual(250);
		expect(store.getSnapshot().byId.get('a')?.status).toBe('paused');
		// And the progress pace starts again from that snapshot: nothing more within the next second.
		while (Date.now() < after[0]! + 990) {
			manager.emit('progress', [progress(Date.now())]);
			vi.advanceTimersByTime(1);
		}

		expect(times.filter(t => t > after[0]!)).toEqual([]);
		expect(start).toBeLessThan(changedAt);
		store.close();
	});

	it('keeps the images array when only progress changed (the tree is not rebuilt)', () => {
		vi.useFakeTimers();
		const manager = fakeManager();
		const store = new LibraryStore(manager as never);
		const before = store.getSnapshot();
		manager.emit('progress', [progress(5)]);
		store.flush();
		const after = store.getSnapshot();
		expect(after).not.toBe(before);
		expect(after.images).toBe(before.images);
		expect(after.progress).not.toBe(before.progress);
		store.close();
	});
});
