import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import type {Progress} from '../../source/core/progress.js';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();
const MiB = 1024 * 1024;

const seed = seedFiles('alpine-3.20.3-standard-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso', 'ubuntu-24.04.1-live-server-amd64.iso');

const line = (frame: string, text: string) => frame.split('\n').find(l => l.includes(text)) ?? '';

function progressFor(h: Harness): Progress[] {
	return h.manager.list().map((image, i) => ({
		id: image.id,
		phase: 'downloading' as const,
		downloaded: (10 + 30 * i) * MiB,
		total: 100 * MiB,
		rate: (1.5 + i) * MiB,
		eta: 60 * (i + 1) + 5,
		stalled: false,
	}));
}

describe('active rows at every width', () => {
	for (const [columns, rows] of [
		[80, 24],
		[120, 40],
	] as const) {
		it(`show percent, speed and ETA on every active row at ${columns}×${rows}`, async () => {
			const h = await render({seed, columns, rows});
			h.store.setProgress(progressFor(h));
			const frame = await h.waitFor(f => f.includes('ETA'), 'ETA on the rows');
			for (const [label, pct, rate, eta] of [
				['x86_64 standard iso', '10%', '1.50 MiB/s', 'ETA 1m05s'],
				['x86_64 netinst iso', '40%', '2.50 MiB/s', 'ETA 2m05s'],
				['x86_64 live-server iso', '70%', '3.50 MiB/s', 'ETA 3m05s'],
			] as const) {
				const row = line(frame, label);
				expect(row, `${label} at ${columns} columns:\n${frame}`).toContain(pct);
				expect(row).toContain(rate);
				expect(row).toContain(eta);
				expect([...row].length).toBeLessThanOrEqual(columns);
			}
		});
	}

	it('uses the space of a wide screen: a longer bar and the bytes done/total', async () => {
		const h = await render({seed, columns: 200, rows: 30});
		h.store.setProgress(progressFor(h));
		const wide = line(await h.waitFor(f => f.includes('ETA'), 'ETA'), 'x86_64 netinst iso');
		expect(wide).toContain('40/100 MiB');
		const bar = /[█░]+/.exec(wide)?.[0] ?? '';
		h.resize(80, 24);
		const narrow = line(await h.waitFor(f => f.split('\n')[0]!.length <= 80 && f.includes('ETA'), 'the narrow frame'), 'x86_64 netinst iso');
		const narrowBar = /[█░]+/.exec(narrow)?.[0] ?? '';
		expect(bar.length).toBeGreaterThan(narrowBar.length + 10);
	});
});

describe('a download waiting to retry', () => {
	it('says "retry 3/8 in 15s: connection refused" in its row and its details at 80 columns', async () => {
		const h = await render({seed, columns: 80, rows: 24});
		const image = h.manager.list().find(i => i.name === 'debian')!;
		const retry = {attempt: 3, max: 8, at: Date.now() + 15_000, reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9 (at byte 0)'};
		h.store.setProgress([{id: image.id, phase: 'preparing', downloaded: 0, total: null, rate: 0, eta: null, stalled: false, retry}]);
		const frame = await h.waitFor(f => f.includes('retry 3/8'), 'the retry state in the row');
		expect(line(frame, 'x86_64 netinst iso')).toMatch(/retry 3\/8 in 1[45]s: connection refused/);
		for (let i = 0; i < 5; i++) await h.press('j');
		await h.waitFor(() => h.selectedLine()?.includes('netinst') ?? false, 'the debian file selected');
		await h.press(KEYS.enter);
		const details = await h.waitFor(f => f.includes('Last error'), 'the details');
		expect(details).toMatch(/Retry\s+retry 3\/8 in 1[45]s: connection refused/);
		expect(details).toContain('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9');
	});
});
