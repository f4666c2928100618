import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles(
	'alpine-3.20.3-standard-x86_64.iso',
	'alpine-3.20.3-standard-aarch64.iso',
	'debian-12.5.0-amd64-netinst.iso',
	'Fedora-Server-netinst-x86_64-40-1.14.iso',
);

describe('filter', () => {
	it('filters live as you type, shows the filter in the header, keeps it on Enter and clears it on Esc', async () => {
		h = await render({seed});
		await h.press('/');
		await h.waitFor(f => f.split('\n').at(-2)!.startsWith('/'), 'the filter line');
		await h.press('net');
		let frame = await h.waitFor(f => f.includes('/net') && !f.includes('alpine'), 'only netinst images');
		expect(frame).toContain('debian');
		expect(frame).toContain('fedora-server');
		expect(frame.split('\n')[0]).toContain('filter: net');
		// Letters are text here: j and k do not move.
		await h.press('ij');
		frame = await h.waitFor(f => f.includes('/netij'), 'typed j');
		expect(frame).toContain('Nothing matches');
		await h.press(KEYS.backspace);
		await h.press(KEYS.backspace);
		await h.waitFor(f => f.includes('debian') && f.includes('/net') && !f.includes('/neti'), 'Backspace deletes');
		await h.press(' fed');
		await h.waitFor(f => !f.includes('debian') && f.includes('fedora-server'), 'two terms');
		await h.press(KEYS.enter);
		frame = await h.waitFor(f => !f.split('\n').at(-2)!.startsWith('/'), 'back to the list');
		expect(frame.split('\n')[0]).toContain('filter: net fed');
		expect(frame).not.toContain('alpine');
		await h.press('j');
		await h.press('j');
		await h.waitFor(() => h!.selectedLine()?.includes('netinst iso') ?? false, 'moves within the matches');
		await h.press(KEYS.escape);
		frame = await h.waitFor(f => f.includes('alpine'), 'Esc clears the filter');
		expect(frame.split('\n')[0]).not.toContain('filter:');
		// The selected item is still selected once the filter is gone.
		expect(h.selectedLine()).toContain('netinst iso');
	});

	it('Esc while typing clears the filter and leaves the filter line', async () => {
		h = await render({seed});
		await h.press('/');
		await h.press('alp');
		await h.waitFor(f => !f.includes('debian'), 'filtered');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('debian') && !f.split('\n').at(-2)!.startsWith('/'), 'cleared');
	});
});
