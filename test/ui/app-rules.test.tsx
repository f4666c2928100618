import './helpers/env.js';
/**
 * The TUI asks the rules module: a key whose action may not run on the selected file now is greyed in the footer,
 * and pressing it says why (the same reason the CLI prints) and changes nothing.
 */
import {describe, expect, it} from 'vitest';
import {checkAction} from '../../source/core/rules.js';
import {type Harness, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

const seed = seedFiles('alpine-3.20.3-standard-x86_64.iso');

/** Whether the footer draws `text` dimmed (SGR 2 on, not yet reset by 22 or 0, where the text starts). */
function greyed(h: Harness, text: string): boolean {
	const footer = h.rawFrame().split('\n').at(-1)!;
	const at = footer.indexOf(text);
	expect(at, `the footer shows "${text}": ${JSON.stringify(footer)}`).toBeGreaterThan(-1);
	let dim = false;
	for (const m of footer.slice(0, at).matchAll(/\x1b\[([0-9;]*)m/g)) {
		for (const code of (m[1] || '0').split(';')) {
			if (code === '2') dim = true;
			else if (code === '22' || code === '0') dim = false;
		}
	}

	return dim;
}

describe('rules in the TUI', () => {
	it('greys the keys that would be refused for the selected file, and a refused key says why', async () => {
		h = await render({seed});
		const image = h.manager.list()[0]!;
		h.manager.catalogue.transition(image.id, 'failed', {errorCode: 'network', errorMessage: 'reset'});
		h.store.reload();
		await h.press('j');
		await h.press('j');
		await h.waitFor(() => h!.selectedLine()?.includes('x86_64 standard iso') ?? false, 'the file');
		// failed: retry and remove may run, pause, cancel and verify may not.
		await h.waitFor(() => greyed(h!, 'p pause'), 'pause greyed');
		expect(greyed(h, 'x cancel')).toBe(true);
		expect(greyed(h, 'v verify')).toBe(true);
		expect(greyed(h, 'r retry')).toBe(false);
		expect(greyed(h, 'D remove')).toBe(false);

		await h.press('p');
		const reason = checkAction('pause', h.manager.get(image.id)!);
		expect(reason.allowed).toBe(false);
		await h.waitFor(f => f.includes(`image ${image.id} is failed; only a queued or running download can be paused`), 'the reason');
		expect(h.manager.get(image.id)!.status).toBe('failed');

		// Allowed: retry queues it again, and then pause is no longer greyed.
		await h.press('r');
		await h.waitFor(() => h!.manager.get(image.id)!.status === 'pending', 'retried');
		await h.waitFor(() => !greyed(h!, 'p pause'), 'pause allowed on a queued download');
	});
});
