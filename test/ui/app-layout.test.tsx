import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles(
	'alpine-3.20.3-standard-x86_64.iso',
	'debian-12.5.0-amd64-netinst.iso',
);

// SGR colour parameters: 30–37, 38;…, 39 is "default" (allowed), 40–47, 48;…, 90–97, 100–107.
const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

describe('layout', () => {
	it('keeps the frame at rows - 1 lines, and follows a resize', async () => {
		h = await render({seed, columns: 100, rows: 30});
		expect(h.frame().split('\n')).toHaveLength(29);
		h.resize(130, 40);
		await h.waitFor(f => f.split('\n').length === 39 && f.includes('Select a file for its details'), 'wide (details beside) and taller');
		h.resize(80, 24);
		await h.waitFor(f => f.split('\n').length === 23 && !f.includes('Select a file for its details'), 'narrow and shorter');
	});

	it('on a narrow terminal shows the list or the details, switched with Tab (and Enter on a file)', async () => {
		h = await render({seed, columns: 80, rows: 24});
		let frame = h.frame();
		expect(frame).toContain('▾ alpine');
		expect(frame).not.toContain('Source');
		for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		await h.press(KEYS.tab);
		frame = await h.waitFor(f => f.includes('Files') && !f.includes('▾ debian'), 'details of the group');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('▾ debian'), 'the list again');
		await h.press('j');
		await h.press('j');
		await h.press(KEYS.enter);
		frame = await h.waitFor(f => f.includes('Source'), 'details of the file');
		expect(frame).toContain('http://127.0.0.1:9/x/alpine-3.20.3-standard-x86_64.iso');
		expect(frame).not.toContain('▾ debian');
		// Esc goes back to the list; the details follow the selection.
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('▾ debian'), 'the list after Esc');
		await h.press('G');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('debian-12.5.0-amd64-netinst.iso'), 'details of the other file');
	});

	it('below 40×10 says the terminal is too small, and q still quits', async () => {
		h = await render({seed, columns: 39, rows: 12});
		await h.waitFor(f => f.includes('Terminal too small'), 'the message');
		h.resize(60, 9);
		await h.waitFor(f => f.includes('Terminal too small (60×9)'), 'too few rows');
		h.resize(60, 10);
		await h.waitFor(f => f.includes('▾ alpine'), 'fits again');
		h.resize(30, 8);
		await h.waitFor(f => f.includes('Terminal too small'), 'small again');
		await h.press('q');
		await h.waitFor(() => h!.quits.length > 0, 'quit');
		expect(h.quits).toEqual(['plain']);
	});

	it('without colours keeps the selection visible in inverse and writes no colour codes', async () => {
		h = await render({seed, color: false});
		const raw = h.rawFrame();
		expect(raw).not.toMatch(COLOUR);
		const selected = raw.split('\n').find(line => line.includes('alpine'))!;
		expect(selected).toMatch(/\x1b\[(?:[0-9;]*;)?7m/);
		expect(h.selectedLine()).toContain('alpine');
		// The states keep their text markers.
		expect(h.frame()).toContain('queued');
		await h.press('j');
		await h.waitFor(() => h!.selectedLine()?.includes('3.20.3') ?? false, 'moved');
		expect(h.rawFrame()).not.toMatch(COLOUR);
	});

	it('with colours does colour (the check above is not vacuous)', async () => {
		h = await render({seed, color: true});
		expect(h.rawFrame()).toMatch(COLOUR);
	});

	it('draws ASCII only with --ascii', async () => {
		h = await render({seed, ascii: true, columns: 130, rows: 30});
		const frame = h.frame();
		expect(frame).toContain('- alpine');
		expect(frame).toContain('> - alpine');
		// Box drawing and every other non-ASCII glyph are gone (the border is ASCII too).
		expect(frame).not.toMatch(/[^\x00-\x7f]/);
		await h.press('h');
		await h.waitFor(f => f.includes('> + alpine'), 'collapsed marker');
	});
});
