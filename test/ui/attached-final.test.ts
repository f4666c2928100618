/**
 * An attached TUI (a client of the process that runs the downloads) shows the final state of a download at once:
 * no bar left at 99 %, no "1 active" after the catalogue says complete; details show the catalogue's current fields.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {ClientLibrary} from '../../source/core/client-library.js';
import {acquireLock} from '../../source/core/lock.js';
import {Manager} from '../../source/core/manager.js';
import {silentLogger} from '../../source/core/log.js';
import {LibraryStore} from '../../source/ui/store.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';

const open: Array<{close(): unknown}> = [];
let lib: TempLibrary | undefined;
afterEach(async () => {
	for (const item of open.splice(0).reverse()) await item.close();
	lib?.cleanup();
});

describe('an attached TUI', () => {
	it('drops the last progress sample the moment the row is complete, and shows the new expected digest and size', async () => {
		lib = tempLibrary();
		// This process is the owner: it holds the lock, as a running TUI or daemon does (the client checks).
		const lock = acquireLock(lib.config.dataDir, 'daemon');
		open.push({close: () => lock.release()});
		const owner = new Manager({config: lib.config, log: silentLogger});
		open.push(owner);
		const {id} = owner.addNow({url: 'http://127.0.0.1:9/pub/alpine-3.20.3-x86_64.iso'});
		const client = new ClientLibrary({config: lib.config, log: silentLogger, ownerPid: process.pid});
		open.push(client);
		const store = new LibraryStore(client, {maxPerSecond: 1000});
		open.push(store);

		// The owner downloads: the client sees it through the catalogue.
		owner.catalogue.transition(id, 'downloading');
		owner.catalogue.update(id, {sizeBytes: 1000});
		owner.catalogue.setDownloaded(id, 990);
		await client.sync(true);
		await new Promise(resolve => setTimeout(resolve, 150)); // the manager's 100 ms progress batch
		store.flush();
		expect(store.getSnapshot().progress.get(id)?.downloaded).toBe(990);

		owner.catalogue.transition(id, 'verifying', {checksum: 'ab'.repeat(32), checksumType: 'sha256', downloadedBytes: 1000});
		owner.catalogue.update(id, {expectedChecksum: 'ab'.repeat(32)});
		owner.catalogue.transition(id, 'complete', {completedAt: new Date().toISOString()});
		await client.sync(true);
		store.flush();
		const snapshot = store.getSnapshot();
		expect(snapshot.byId.get(id)?.status).toBe('complete');
		expect(snapshot.progress.has(id)).toBe(false);
		expect(snapshot.byId.get(id)).toMatchObject({expectedChecksum: 'ab'.repeat(32), sizeBytes: 1000});
		// Nor does a later progress batch bring it back.
		await new Promise(resolve => setTimeout(resolve, 150));
		store.flush();
		expect(store.getSnapshot().progress.has(id)).toBe(false);
		expect(client.progressSnapshot().find(p => p.id === id)).toBeUndefined();
	});
});
