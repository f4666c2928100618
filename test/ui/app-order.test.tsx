/** `o` cycles the order and `t` switches to one flat list of every file, at 80×24; the status line says which. */
import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();

describe('order and flat list', () => {
	it('t lists every file with its name and version, o re-sorts, and the selection stays on its image', async () => {
		const h = await render({columns: 80, rows: 24, seed: seedFiles('debian-12.5.0-amd64-netinst.iso', 'alpine-standard-3.20.3-x86_64.iso', 'alpine-virt-3.19.1-x86_64.iso'), controller: {messageMs: 1}});
		await h.waitFor(f => f.includes('▾ alpine'), 'the tree');
		await h.press('t');
		let frame = await h.waitFor(f => f.includes('debian 12.5.0 x86_64 netinst'), 'the flat list');
		expect(frame).not.toContain('▾');
		const rows = frame.split('\n').filter(line => line.includes('queued') && !line.startsWith('isoman'));
		expect(rows.map(line => /(alpine|debian)\S* \S+/.exec(line)?.[0])).toEqual(['alpine-standard 3.20.3', 'alpine-virt 3.19.1', 'debian 12.5.0']);
		await h.waitFor(f => /1\/3\s+list/.test(f), 'the status line saying list');
		await h.press('G');
		await h.waitFor(() => h.selectedLine()?.includes('debian') ?? false, 'debian selected');
		// By status: all queued, so the name order breaks the tie; by size: unknown sizes, the same.
		await h.press('o');
		frame = await h.waitFor(f => /list, by newest first/.test(f), 'the order named');
		expect(h.selectedLine()).toContain('debian');
		await h.press('o');
		await h.press('o');
		await h.press('o');
		await h.waitFor(f => /\d\/3\s+list\s*$/m.test(f), 'back to by name');
		await h.press('t');
		frame = await h.waitFor(f => f.includes('▾ debian'), 'the tree again');
		expect(h.selectedLine()).toContain('x86_64 netinst iso');
	});
});
