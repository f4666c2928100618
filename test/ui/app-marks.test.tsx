import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();

const seed = seedFiles('alpine-3.20.3-standard-x86_64.iso', 'alpine-3.20.3-standard-aarch64.iso', 'debian-12.5.0-amd64-netinst.iso');

function fail(h: Harness, name: string, arch?: string): string {
	const image = h.manager.list().find(i => i.name === name && (arch === undefined || i.arch === arch))!;
	h.manager.catalogue.transition(image.id, 'downloading');
	h.manager.catalogue.transition(image.id, 'failed', {errorCode: 'network', errorMessage: 'connection refused'});
	return image.id;
}

const status = (h: Harness, id: string) => h.manager.get(id)!.status;

describe('marks and bulk actions', () => {
	it('Space marks files; r retries all marked after one confirmation naming how many, skipping the others', async () => {
		const h = await render({seed, columns: 80, rows: 24});
		const a = fail(h, 'alpine', 'x86_64');
		const b = fail(h, 'debian');
		h.store.reload();
		await h.waitFor(f => (f.match(/✗ network error/g) ?? []).length === 2, 'two failed rows');
		// Mark the alpine version group (both its files: one failed, one queued), then the debian file.
		await h.press('j');
		await h.press(' ');
		for (let i = 0; i < 4; i++) await h.press('j');
		await h.waitFor(() => h.selectedLine()?.includes('netinst') ?? false, 'the debian file');
		await h.press(' ');
		let frame = await h.waitFor(f => f.includes('3 marked'), 'three marked');
		expect((frame.match(/●/g) ?? []).length).toBeGreaterThanOrEqual(3);
		await h.press('r');
		frame = await h.waitFor(f => f.includes('Retry 2 images (marked)?'), 'one confirmation');
		expect(frame).toContain('1 other image skipped: not failed or missing');
		await h.press('y');
		await h.waitFor(f => f.includes('Retrying 2 images'), 'the outcome');
		expect(status(h, a)).toBe('pending');
		expect(status(h, b)).toBe('pending');
		await h.waitFor(f => !f.includes('marked'), 'marks cleared');
	});

	it('R retries every failed image after asking; Esc clears marks before the filter', async () => {
		const h = await render({seed, columns: 100, rows: 30});
		const a = fail(h, 'alpine', 'aarch64');
		h.store.reload();
		await h.waitFor(f => f.includes('1 failed'), 'the header counts the failure');
		await h.press('R');
		await h.waitFor(f => f.includes('Retry 1 image (every failed or missing image)?'), 'the confirmation');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Retry 1 image'), 'closed without doing anything');
		expect(status(h, a)).toBe('failed');
		await h.press(' ');
		await h.waitFor(f => f.includes('marked'), 'a mark');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('marked'), 'Esc cleared it');
	});

	it('x asks before cancelling (No is the default); y cancels', async () => {
		const h = await render({seed, columns: 100, rows: 30});
		await h.press('G');
		await h.press('x');
		let frame = await h.waitFor(f => f.includes('Cancel this download?'), 'the question');
		expect(frame).toContain('partial file is deleted');
		await h.press(KEYS.enter);
		await h.waitFor(f => !f.includes('Cancel this download?'), 'closed');
		const id = h.manager.list().find(i => i.name === 'debian')!.id;
		expect(status(h, id)).toBe('pending');
		await h.press('x');
		await h.waitFor(f => f.includes('Cancel this download?'), 'asked again');
		await h.press('y');
		frame = await h.waitFor(f => f.includes('Cancelled debian'), 'cancelled');
		expect(status(h, id)).toBe('failed');
	});
});

describe('notices, copy, filter, footer, header', () => {
	it('n opens the notices (downloads that failed, messages), newest last; Esc closes', async () => {
		const h = await render({seed, columns: 80, rows: 24});
		fail(h, 'debian');
		h.store.reload();
		await h.waitFor(f => f.includes('network error'), 'the failure');
		await h.press('x'); // on a group: a message
		await h.press('n');
		const frame = await h.waitFor(f => f.includes('Notices: last'), 'the notices view');
		expect(frame).toMatch(/\d\d:\d\d:\d\d\s+Failed debian 12\.5\.0 x86_64 netinst iso: connection refused/);
		expect(frame).toContain('Select a file to cancel');
		expect(frame.indexOf('Failed debian')).toBeLessThan(frame.indexOf('Select a file to cancel'));
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('▾ alpine'), 'the list again');
	});

	it('y writes the absolute path as OSC 52 and shows it', async () => {
		const written: string[] = [];
		const h = await render({seed, columns: 120, rows: 30, controller: {writeTerminal: s => written.push(s)}});
		await h.press('G');
		await h.press('y');
		const frame = await h.waitFor(f => f.includes('Copied'), 'the message');
		const image = h.manager.list().find(i => i.name === 'debian')!;
		const file = `${h.library.config.imagesDir}/${image.filePath}`;
		expect(frame).toContain(file.slice(0, 40));
		expect(written).toEqual([`\x1b]52;c;${Buffer.from(file).toString('base64')}\x07`]);
	});

	it('the filter matches arch aliases (arm64 → aarch64) and URLs', async () => {
		const h = await render({seed, columns: 100, rows: 30});
		await h.press('/');
		await h.press('arm64');
		let frame = await h.waitFor(f => f.includes('filter: arm64') && !f.includes('debian'), 'filtered');
		expect(frame).toContain('aarch64');
		expect(frame).not.toContain('x86_64 standard');
		await h.press(KEYS.ctrlU);
		await h.press('127.0.0.1:9/x/debian');
		frame = await h.waitFor(f => f.includes('netinst') && !f.includes('alpine'), 'matched by URL');
	});

	it('the footer keeps ? and q at every width', async () => {
		const h = await render({seed, columns: 40, rows: 12});
		for (const columns of [40, 52, 80, 200]) {
			h.resize(columns, 20);
			const frame = await h.waitFor(f => f.split('\n')[0]!.length <= columns, `${columns} columns`);
			const footer = frame.split('\n').at(-1)!;
			expect(footer, `${columns}: ${footer}`).toMatch(/\?\/F1 help/);
			expect(footer).toMatch(/q quit/);
		}
	});

	it('queued rows say why they wait when the host has its downloads already', async () => {
		const h = await render({seed, columns: 80, rows: 24, config: {perHost: 2, concurrency: 3}});
		const [a, b] = h.manager.list().filter(i => i.name === 'alpine');
		h.manager.catalogue.transition(a!.id, 'downloading');
		h.manager.catalogue.transition(b!.id, 'downloading');
		h.store.reload();
		const frame = await h.waitFor(f => f.includes('waiting:'), 'the wait reason');
		expect(frame.split('\n').find(l => l.includes('netinst'))).toContain('waiting: 2 already from 127.0.0.1:9');
	});

	it('rings the bell (notify=bell) or sends OSC 9 (notify=osc9) when a download fails or completes', async () => {
		const written: string[] = [];
		const h = await render({seed, columns: 80, rows: 24, controller: {notify: 'osc9', writeTerminal: s => written.push(s)}});
		fail(h, 'debian');
		h.store.reload();
		await h.waitFor(f => f.includes('network error'), 'the failure');
		expect(written).toEqual([expect.stringMatching(/^\x1b\]9;isoman: Failed debian 12\.5\.0 x86_64 netinst iso: connection refused\x07$/)]);
	});

	it('refuses r on a complete image with the rule, whoever runs the downloads (nothing is sent)', async () => {
		const h = await render({seed, columns: 140, rows: 30});
		const image = h.manager.list().find(i => i.name === 'debian')!;
		h.manager.catalogue.transition(image.id, 'downloading');
		h.manager.catalogue.transition(image.id, 'verifying', {checksum: 'ab'.repeat(32), checksumType: 'sha256', sizeBytes: 10, downloadedBytes: 10});
		h.manager.catalogue.transition(image.id, 'complete', {completedAt: new Date().toISOString()});
		h.store.reload();
		await h.press('G');
		await h.waitFor(f => f.includes('✓'), 'the complete row');
		await h.press('r');
		// The rules module's words, the same the CLI prints.
		await h.waitFor(f => f.includes(`image ${image.id} is complete; only a failed or missing image can be retried`), 'the rule');
		expect(h.manager.get(image.id)!.status).toBe('complete');
	});
});
