import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {KEYS, appPerTest} from './helpers/render-app.js';

const render = appPerTest();
const urlLine = (frame: string) => frame.split('\n').find(l => l.includes('URL')) ?? '';

describe('editing in the add form', () => {
	it('moves the cursor with ←/→, Home/End and Ctrl-A/E, inserts there, and Ctrl-W deletes the word before it', async () => {
		const h = await render({columns: 100, rows: 30});
		await h.press('a');
		await h.waitFor(f => f.includes('Add an image'), 'the form');
		await h.press('http://example.org/pub/alpine-3.20.3-x86_64.iso');
		await h.waitFor(f => urlLine(f).includes('x86_64.iso'), 'typed');
		await h.press(KEYS.home);
		await h.press('X');
		expect(h.controller.getState().form!.values.url).toBe('Xhttp://example.org/pub/alpine-3.20.3-x86_64.iso');
		await h.press(KEYS.right);
		await h.press(KEYS.backspace);
		await h.press(KEYS.backspace);
		expect(h.controller.getState().form!.values.url).toBe('ttp://example.org/pub/alpine-3.20.3-x86_64.iso');
		await h.press('\x05'); // Ctrl-E
		await h.press('\x17'); // Ctrl-W: "iso"
		expect(h.controller.getState().form!.values.url).toBe('ttp://example.org/pub/alpine-3.20.3-x86_64.');
		await h.press('\x01'); // Ctrl-A
		await h.press('h');
		await h.press(KEYS.end);
		await h.press('img');
		expect(h.controller.getState().form!.values.url).toBe('http://example.org/pub/alpine-3.20.3-x86_64.img');
		for (let i = 0; i < 3; i++) await h.press(KEYS.left);
		await h.press('q');
		const frame = await h.waitFor(f => urlLine(f).includes('x86_64.qimg'), 'inserted in the middle');
		expect(frame).toContain('3.20.3'); // the name and version still follow the URL
	});

	it('Esc on a filled form asks first (keep editing is the default); on an empty one it just closes', async () => {
		const h = await render({columns: 100, rows: 30});
		await h.press('a');
		await h.waitFor(f => f.includes('Add an image'), 'the form');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Add an image'), 'closed at once when empty');
		await h.press('a');
		await h.press('http://example.org/x.iso');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('Discard this form?'), 'the question');
		await h.press(KEYS.enter);
		await h.waitFor(f => !f.includes('Discard this form?') && f.includes('Add an image'), 'back in the form');
		expect(h.controller.getState().form!.values.url).toBe('http://example.org/x.iso');
		await h.press(KEYS.escape);
		await h.press('d');
		await h.waitFor(f => !f.includes('Add an image') && !f.includes('Discard'), 'discarded');
	});
});
