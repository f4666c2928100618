import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles('alpine-3.20.3-standard-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso');
const statusLine = (frame: string) => frame.split('\n').at(-2)!;

describe('bandwidth limit (L)', () => {
	it('sets the selected image\'s limit, Tab switches to all downloads, the header shows the global limit, bad input is refused in place', async () => {
		h = await render({seed});
		// Down to the first file row (name → version → arch → file).
		for (let i = 0; i < 8 && !(h.selectedLine()?.includes('iso') ?? false); i++) await h.press('l');
		await h.waitFor(() => h!.selectedLine()?.includes('iso') ?? false, 'a file selected');
		await h.press('L');
		await h.waitFor(f => statusLine(f).startsWith('Limit for alpine'), 'the limit line for the image');
		await h.press('fast');
		await h.press(KEYS.enter);
		await h.waitFor(f => statusLine(f).includes('must be a rate'), 'the rule, in place');
		await h.press('\u0015');
		await h.press('2M');
		await h.press(KEYS.enter);
		await h.waitFor(() => h!.manager.list().some(i => i.maxRate === 2 * 1024 ** 2), 'the image got its own limit');
		await h.waitFor(f => statusLine(f).includes('Limit for alpine') && statusLine(f).includes('2 MiB/s'), 'said so');
		const frame = await h.waitFor(f => !statusLine(f).startsWith('Limit'), 'back to the list');
		expect(frame.split('\n')[0]).not.toContain('limit');

		await h.press('L');
		await h.waitFor(f => statusLine(f).includes('2M'), 'prefilled with the image\'s limit');
		await h.press(KEYS.tab);
		await h.waitFor(f => statusLine(f).startsWith('Limit for all downloads'), 'switched to all downloads');
		await h.press('500K');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.split('\n')[0]!.includes('limit 500 KiB/s'), 'the header shows the global limit');
		expect(h.manager.maxRate()).toBe(500 * 1024);

		await h.press('L');
		await h.press(KEYS.escape);
		await h.waitFor(f => !statusLine(f).startsWith('Limit'), 'Esc leaves it unchanged');
		expect(h.manager.maxRate()).toBe(500 * 1024);
	});
});
