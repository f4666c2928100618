import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {BINDINGS, keysLabel} from '../../source/ui/keymap.js';
import {type Harness, KEYS, appPerTest, seedFiles, stripAnsi} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles(
	'alpine-3.20.3-standard-x86_64.iso',
	'debian-12.5.0-amd64-netinst.iso',
);

async function selectFirstFile(h: Harness) {
	await h.press('j');
	await h.press('j');
	await h.waitFor(() => h.selectedLine()?.includes('x86_64 standard iso') ?? false, 'the alpine file');
}

describe('remove confirmation', () => {
	it('names the file and its size, and defaults to No', async () => {
		h = await render({seed});
		h.manager.catalogue.update(h.manager.list().find(i => i.name === 'alpine')!.id, {sizeBytes: 3 * 1024 ** 3});
		h.store.reload();
		await selectFirstFile(h);
		await h.press('D');
		const frame = await h.waitFor(f => f.includes('Remove this image?'), 'the dialog');
		expect(frame).toContain('alpine 3.20.3 x86_64 standard iso');
		expect(frame).toContain('3.00 GiB');
		// The highlighted (inverse) choice is No.
		const optionsLine = h.rawFrame().split('\n').find(line => line.includes('[n] No'))!;
		expect(optionsLine).toMatch(/\x1b\[(?:[0-9;]*;)?7m(?:\x1b\[[0-9;]*m)*\[n\] No/);
		expect(optionsLine).not.toMatch(/\x1b\[(?:[0-9;]*;)?7m(?:\x1b\[[0-9;]*m)*\[y\]/);
		await h.press(KEYS.enter);
		await h.waitFor(f => !f.includes('Remove this image?'), 'closed');
		expect(h.manager.list()).toHaveLength(2);
	});

	it('removes with y, from the Delete key too (Backspace does nothing in the list)', async () => {
		h = await render({seed});
		await selectFirstFile(h);
		await h.press(KEYS.backspace);
		await h.press('x'); // cancel asks first (it deletes the partial file); y: failed/cancelled
		await h.waitFor(f => f.includes('Cancel this download?'), 'the cancel question');
		await h.press('y');
		await h.waitFor(f => f.includes('✗ cancelled'), 'cancelled');
		expect(h.frame()).not.toContain('Remove this image?');
		await h.press(KEYS.delete);
		await h.waitFor(f => f.includes('Remove this image?'), 'Delete opens the dialog');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Remove this image?'), 'Esc closes it');
		expect(h.manager.list()).toHaveLength(2);
		await h.press('D');
		await h.waitFor(f => f.includes('Remove this image?'), 'again');
		await h.press('y');
		await h.waitFor(f => f.includes('Removed alpine 3.20.3') && !f.includes('▾ alpine'), 'removed');
		expect(h.manager.list().map(i => i.name)).toEqual(['debian']);
	});

	it('says what to select when the selection is not a file', async () => {
		h = await render({seed});
		await h.press('D');
		await h.waitFor(f => f.includes('Select a file to remove'), 'the hint');
	});
});

describe('quit', () => {
	it('quits at once when nothing downloads', async () => {
		h = await render({seed});
		await h.press('q');
		await h.waitFor(f => f.includes('Quitting'), 'quitting');
		expect(h.quits).toEqual(['plain']);
	});

	it('asks what to do with running downloads; Enter keeps them in the background, Esc stays, Ctrl-C twice forces', async () => {
		h = await render({seed});
		h.manager.activeCount = () => 2;
		await h.press('q');
		const frame = await h.waitFor(f => f.includes('Downloads are running'), 'the quit dialog');
		expect(frame).toContain('[b] Keep downloading in the background');
		expect(frame).toContain('[p] Pause them and quit');
		expect(frame).toContain('[s] Stay');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Downloads are running'), 'stayed');
		expect(h.quits).toEqual([]);
		await h.press(KEYS.ctrlC);
		await h.waitFor(f => f.includes('Downloads are running'), 'Ctrl-C asks too');
		await h.press(KEYS.ctrlC);
		await h.waitFor(f => f.includes('Stopping downloads'), 'forced');
		expect(h.quits).toEqual(['force']);
	});

	it('Enter picks the highlighted choice: background', async () => {
		h = await render({seed});
		h.manager.activeCount = () => 1;
		await h.press('q');
		await h.waitFor(f => f.includes('Downloads are running'), 'the quit dialog');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('background daemon'), 'handing over');
		expect(h.quits).toEqual(['background']);
	});
});

describe('help overlay', () => {
	it('lists every binding of the table, and closes with Esc', async () => {
		h = await render({columns: 160, rows: 120});
		await h.press('?');
		const frame = await h.waitFor(f => f.includes('Keys'), 'the help');
		for (const binding of BINDINGS) {
			const line = frame.split('\n').find(l => l.includes(binding.description));
			expect(line, binding.description).toBeDefined();
			expect(line).toContain(keysLabel(binding));
		}

		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Keys ') && f.includes('library is empty'), 'closed');
		await h.press(KEYS.f1);
		await h.waitFor(f => f.includes('Show all keys'), 'F1 opens it');
	});

	it('scrolls when it does not fit', async () => {
		h = await render({columns: 80, rows: 24});
		await h.press('?');
		let frame = await h.waitFor(f => f.includes('Keys (1-'), 'the help, with a position');
		expect(frame).not.toContain('Close the help');
		for (let i = 0; i < 4; i++) await h.press(KEYS.pageDown);
		frame = await h.waitFor(f => f.includes('Close the help'), 'the end');
		expect(stripAnsi(frame)).not.toContain('Move up\n');
	});
});
