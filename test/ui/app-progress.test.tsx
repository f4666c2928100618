import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import type {Progress} from '../../source/core/progress.js';
import {type Harness, appPerTest, seedFiles} from './helpers/render-app.js';
import {MiB} from '../support/sizes.js';

const render = appPerTest();
let h: Harness | undefined;


const seed = seedFiles(
	'alpine-3.20.3-standard-x86_64.iso',
	'debian-12.5.0-amd64-netinst.iso',
);

function ids(h: Harness) {
	const byName = new Map(h.manager.list().map(i => [i.name, i.id]));
	return {alpine: byName.get('alpine')!, debian: byName.get('debian')!};
}

const line = (frame: string, text: string) => frame.split('\n').find(l => l.includes(text)) ?? '';

describe('progress', () => {
	it('shows a bar with %, bytes done/total, rate and ETA for a known size; bytes and an indeterminate bar for an unknown one', async () => {
		h = await render({seed, columns: 110, rows: 20});
		const {alpine, debian} = ids(h);
		const progress: Progress[] = [
			{id: alpine, phase: 'downloading', downloaded: 43 * MiB, total: 100 * MiB, rate: 2.5 * MiB, eta: 23, stalled: false},
			{id: debian, phase: 'downloading', downloaded: 5.5 * MiB, total: null, rate: 1 * MiB, eta: null, stalled: false},
		];
		h.store.setProgress(progress);
		const frame = await h.waitFor(f => f.includes('43%'), 'the progress');
		const known = line(frame, 'x86_64 standard iso');
		expect(known).toContain('▶');
		expect(known).toMatch(/█+░+/);
		expect(known).toContain('43%');
		expect(known).toContain('43/100 MiB');
		expect(known).toContain('2.50 MiB/s');
		expect(known).toContain('ETA 23s');
		expect(known).toContain('100 MiB'); // the size column
		const unknown = line(frame, 'x86_64 netinst iso');
		expect(unknown).toContain('▶');
		expect(unknown).toMatch(/░*███░*/);
		expect(unknown).toContain('5.50 MiB');
		expect(unknown).toContain('1.00 MiB/s');
		expect(unknown).not.toMatch(/\d+%/);
		expect(frame.split('\n')[0]).toContain('2 active');
		expect(frame.split('\n')[0]).toContain('3.50 MiB/s');
	});

	it('says stalled when no byte arrives, and summarises a collapsed group', async () => {
		h = await render({seed, columns: 110, rows: 20});
		const {alpine} = ids(h);
		h.store.setProgress([{id: alpine, phase: 'downloading', downloaded: 10 * MiB, total: 40 * MiB, rate: 0, eta: null, stalled: true}]);
		let frame = await h.waitFor(f => f.includes('stalled'), 'stalled');
		expect(line(frame, 'x86_64 standard iso')).toContain('25%');
		expect(line(frame, 'x86_64 standard iso')).not.toContain('ETA');
		await h.press('h'); // collapse alpine
		frame = await h.waitFor(f => f.includes('▸ alpine'), 'collapsed');
		expect(line(frame, '▸ alpine')).toContain('1 file, 1 downloading 25%');
	});

	it('shows verification progress, and the states of finished rows in text', async () => {
		h = await render({seed, columns: 140, rows: 30});
		const {alpine, debian} = ids(h);
		h.manager.catalogue.transition(debian, 'failed', {errorCode: 'http_status', errorMessage: 'HTTP 404 Not Found from http://127.0.0.1:9/x'});
		h.store.reload();
		h.store.setProgress([{id: alpine, phase: 'verifying', downloaded: 1 * MiB, total: 4 * MiB, rate: MiB, eta: 3, stalled: false}]);
		const frame = await h.waitFor(f => f.includes('verifying') && f.includes('HTTP 404'), 'both');
		expect(line(frame, 'x86_64 standard iso')).toContain('25%');
		expect(line(frame, 'x86_64 netinst iso')).toContain('✗ HTTP 404');
		await h.press('G');
		const details = await h.waitFor(f => f.includes('Error'), 'details with the error');
		expect(details).toContain('http_status: HTTP 404 Not Found');
	});
});
