import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles, url} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles(
	'alpine-3.20.3-standard-x86_64.iso',
	'alpine-3.20.3-standard-aarch64.iso',
	'alpine-3.9.1-standard-x86_64.iso',
	'debian-12.5.0-amd64-netinst.iso',
);

describe('library tree', () => {
	it('groups name ▸ version ▸ file, newest version first', async () => {
		h = await render({seed});
		const frame = h.frame();
		const lines = frame.split('\n').map(line => line.trimEnd());
		const index = (text: string) => lines.findIndex(line => line.includes(text));
		expect(index('▾ alpine')).toBeGreaterThan(0);
		expect(index('▾ 3.20.3')).toBeGreaterThan(index('▾ alpine'));
		expect(index('▾ 3.9.1')).toBeGreaterThan(index('▾ 3.20.3'));
		expect(index('aarch64 standard iso')).toBeGreaterThan(index('▾ 3.20.3'));
		expect(index('x86_64 standard iso')).toBeGreaterThan(index('aarch64 standard iso'));
		expect(index('▾ debian')).toBeGreaterThan(index('▾ 3.9.1'));
		expect(frame).toContain('queued');
		// The first row is selected.
		expect(h.selectedLine()).toContain('alpine');
	});

	it('moves with arrows and j/k, jumps with g/G and Home/End', async () => {
		h = await render({seed});
		await h.press('j');
		await h.waitFor(() => h!.selectedLine()?.includes('3.20.3') ?? false, 'j to select 3.20.3');
		await h.press(KEYS.down);
		await h.waitFor(() => h!.selectedLine()?.includes('aarch64') ?? false, '↓ to select aarch64');
		await h.press('G');
		await h.waitFor(() => h!.selectedLine()?.includes('x86_64 netinst iso') ?? false, 'G to select the last row');
		await h.press('k');
		await h.waitFor(() => h!.selectedLine()?.includes('12.5.0') ?? false, 'k to go up');
		await h.press(KEYS.home);
		await h.waitFor(() => h!.selectedLine()?.includes('alpine') ?? false, 'Home');
		await h.press(KEYS.end);
		await h.waitFor(() => h!.selectedLine()?.includes('netinst') ?? false, 'End');
		await h.press('g');
		await h.waitFor(() => h!.selectedLine()?.includes('alpine') ?? false, 'g');
	});

	it('collapses and expands with ←/→/h/l and Enter; a collapsed node summarises its files', async () => {
		h = await render({seed});
		await h.press('j'); // 3.20.3
		await h.press('h');
		await h.waitFor(f => f.includes('▸ 3.20.3  2 files, 2 queued'), 'collapsed 3.20.3 with a summary');
		expect(h.frame()).not.toContain('aarch64 standard iso');
		await h.press('l');
		await h.waitFor(f => f.includes('aarch64 standard iso'), 'expanded again');
		await h.press(KEYS.right); // on an expanded node: to the first child
		await h.waitFor(() => h!.selectedLine()?.includes('aarch64') ?? false, 'first child');
		await h.press(KEYS.left); // on a file: to the parent
		await h.waitFor(() => h!.selectedLine()?.includes('3.20.3') ?? false, 'parent');
		await h.press(KEYS.left);
		await h.waitFor(f => f.includes('▸ 3.20.3'), 'collapsed with ←');
		await h.press(KEYS.left); // collapsed: go to the parent (alpine)
		await h.waitFor(() => h!.selectedLine()?.includes('▾ alpine') ?? false, 'up to alpine');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('▸ alpine  3 files, 3 queued'), 'Enter collapses alpine');
		expect(h.frame()).not.toContain('3.9.1');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('3.9.1'), 'Enter expands alpine');
	});

	it('keeps the selection on the same item when rows are added above it', async () => {
		h = await render({seed});
		await h.press('G');
		await h.waitFor(() => h!.selectedLine()?.includes('netinst') ?? false, 'last row');
		h.manager.addNow({url: url('arch-2024.06.01-x86_64.iso')});
		h.manager.addNow({url: url('alpine-3.19.0-standard-x86_64.iso')});
		await h.waitFor(f => f.includes('arch') && f.includes('3.19.0'), 'new rows');
		expect(h.selectedLine()).toContain('netinst');
	});

	it('keeps the position on the status line while a message is shown, and moves it with j/k', async () => {
		h = await render({seed});
		const statusLine = (frame: string) => frame.split('\n').at(-2) ?? '';
		await h.waitFor(f => /\b1\/\d+\s*$/.test(statusLine(f)), 'the position');
		const total = /\b1\/(\d+)\s*$/.exec(statusLine(h.frame()))![1];
		// A manager notice (as when a download completes) takes the status line for a few seconds.
		h.controller.say('Downloaded alpine 3.20.3 (verified)');
		await h.waitFor(f => statusLine(f).includes('Downloaded alpine 3.20.3 (verified)') && statusLine(f).trimEnd().endsWith(`1/${total}`), 'message and position');
		await h.press('j');
		await h.waitFor(f => statusLine(f).includes('Downloaded alpine') && statusLine(f).trimEnd().endsWith(`2/${total}`), 'j moves the position beside the message');
		await h.press('k');
		await h.waitFor(f => statusLine(f).trimEnd().endsWith(`1/${total}`), 'k moves it back');
	});

	it('gives a long message the line but keeps the position visible', async () => {
		h = await render({seed, columns: 80});
		const statusLine = (frame: string) => frame.split('\n').at(-2) ?? '';
		h.controller.say(`Downloaded ${'x'.repeat(200)}`);
		const line = statusLine(await h.waitFor(f => statusLine(f).includes('Downloaded xxx'), 'the message'));
		expect(line.trimEnd()).toMatch(/\b1\/\d+$/);
		expect(line.trimEnd().length).toBeLessThanOrEqual(80);
	});

	it('shows the details of the selected file beside the list on a wide terminal', async () => {
		h = await render({seed, columns: 160, rows: 40});
		await h.press('j');
		await h.press('j');
		const frame = await h.waitFor(f => f.includes('Source'), 'details');
		expect(frame).toContain('alpine 3.20.3');
		expect(frame).toContain('http://127.0.0.1:9/x/alpine-3.20.3-standard-aarch64.iso');
		expect(frame).toContain('images/alpine/3.20.3/aarch64/');
		expect(frame).toMatch(/Checksum\s+none/);
		expect(frame).toContain('added');
	});
});
