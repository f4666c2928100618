/** The TUI shows the HTTP server: the header says where the library is served; a complete image's details give its URL and how often it was served. */
import './helpers/env.js';
import {afterEach, describe, expect, it} from 'vitest';
import {acquireLock, type LibraryLock} from '../../source/core/lock.js';
import {writeServerInfo} from '../../source/core/server-info.js';
import {type Harness, appPerTest, url} from './helpers/render-app.js';

const render = appPerTest();
let lock: LibraryLock | undefined;
afterEach(() => {
	lock?.release();
	lock = undefined;
});

const GiB = 1024 ** 3;

function seed(serving: boolean) {
	return (manager: Harness['manager']) => {
		const image = manager.addNow({url: url('alpine-3.20.3-standard-x86_64.iso')});
		const {catalogue} = manager;
		catalogue.transition(image.id, 'downloading');
		catalogue.transition(image.id, 'verifying');
		catalogue.transition(image.id, 'complete', {checksum: 'ab'.repeat(32), sizeBytes: GiB, downloadedBytes: GiB, completedAt: new Date().toISOString()});
		catalogue.recordServed([{id: image.id, bytes: 3 * GiB, downloads: [new Date().toISOString(), new Date().toISOString()]}]);
		if (serving) {
			// As the daemon does: it holds the lock and says where it listens.
			lock = acquireLock(manager.config.dataDir, 'daemon');
			writeServerInfo(manager.config.dataDir, {pid: process.pid, url: 'http://127.0.0.1:8080'});
		}
	};
}

describe('serving in the TUI', () => {
	it('the header says "serving …/images/"; the details give the URL, the served count and bytes', async () => {
		const h = await render({seed: seed(true), columns: 140, rows: 30});
		await h.waitFor(f => f.includes('serving http://127.0.0.1:8080/images/'), 'the header');
		await h.press('G');
		const frame = await h.waitFor(f => f.includes('Served'), 'the details of the image');
		expect(frame).toContain('http://127.0.0.1:8080/images/alpine/3.20.3/x86_64/');
		expect(frame).toMatch(/Served\s+2 times, 3\.00 GiB sent/);
		expect(frame).toMatch(/Verified\s+\d{4}-\d\d-\d\d/);
	});

	it('no server: no "serving" in the header and no URL, the counts still shown', async () => {
		const h = await render({seed: seed(false), columns: 140, rows: 30});
		await h.press('G');
		const frame = await h.waitFor(f => f.includes('Served'), 'the details');
		expect(frame).not.toContain('serving');
		expect(frame).not.toMatch(/URL\s+http/);
	});
});
