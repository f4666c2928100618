import {EventEmitter} from 'node:events';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Progress} from '../../source/core/progress.js';
import {LibraryStore} from '../../source/ui/store.js';

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
