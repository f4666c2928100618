/** The statistics as a person reads them (isoman stats, the TUI's stats view): one summary, one sparkline. */
import {describe, expect, it} from 'vitest';
import {statsText} from '../../source/commands/stats-text.js';
import {sparkline, statsSummary, summaryLineText, type LibraryStats, type Trend} from '../../source/core/index.js';

const MiB = 1024 * 1024;

const stats: LibraryStats = {
	totalImages: 4,
	completed: 2,
	failed: 1,
	pending: 1,
	byStatus: {complete: 2, failed: 1, downloading: 1},
	byArch: {x86_64: 4},
	byEdition: {},
	totalSizeBytes: 3 * MiB,
	totalDownloads: 5,
	bandwidthSaved: 6 * MiB,
	bytesServed: 7 * MiB + 512 * 1024,
	top: [{id: 'a1b2c3d4e5f6', name: 'alpine-standard', version: '3.20.3', arch: 'x86_64', downloadCount: 4, sizeBytes: 2 * MiB}],
	freeBytes: 40 * 1024 * MiB,
};

const trend = (counts: number[]): Trend => ({period: 'daily', data: counts.map((count, i) => ({date: `2026-11-${String(i + 1).padStart(2, '0')}`, count}))});

describe('sparkline', () => {
	it('one mark per day scaled to the busiest; a day without downloads is always the lowest mark', () => {
		expect(sparkline([0, 1, 2, 4, 8])).toBe('▁▂▃▅█');
		expect(sparkline([0, 0, 0])).toBe('▁▁▁');
		expect(sparkline([3, 3])).toBe('██');
		expect(sparkline([0, 1, 2, 4, 8], true)).toBe(' .-=#');
		expect(sparkline([])).toBe('');
	});
});

describe('statsSummary', () => {
	it('totals, storage used and free, downloads served, bandwidth saved, and the trend with its sparkline', () => {
		const lines = statsSummary(stats, trend([0, 2, 0, 1]));
		expect(lines.map(summaryLineText)).toEqual([
			'images      4 (2 complete, 1 queued or running, 1 failed)',
			'storage     3.00 MiB used, 40.0 GiB free',
			'served      5 downloads, 7.50 MiB sent',
			'saved       6.00 MiB of bandwidth (every download after the first)',
			'last 4 days ▁█▁▅ 3 downloads',
		]);
		expect(lines.at(-1)).toMatchObject({label: 'last 4 days', spark: '▁█▁▅', text: '3 downloads'});
		expect(statsSummary({...stats, freeBytes: undefined}, trend([]))[1]!.text).toBe('3.00 MiB used, ? free');
	});

	it('isoman stats prints the summary and the top images', () => {
		const text = statsText(stats, trend(Array.from({length: 30}, (_, i) => (i === 29 ? 2 : 0))), true);
		const lines = text.split('\n');
		expect(lines[4]).toBe(`last 30 days ${' '.repeat(29)}# 2 downloads`);
		expect(statsSummary({...stats, totalDownloads: 1}, trend([1]))[2]!.text).toBe('1 download, 7.50 MiB sent');
		expect(lines[6]!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'VERSION', 'ARCH', 'DOWNLOADS', 'SIZE']);
		expect(lines[7]!.split(/\s{2,}/)).toEqual(['a1b2c3d4e5f6', 'alpine-standard', '3.20.3', 'x86_64', '4', '2.00 MiB']);
	});
});
