/**
 * The library's statistics as lines a person reads, for `isoman stats` and the TUI's stats view alike: the totals,
 * storage used and free, downloads served, bandwidth saved, and a sparkline of the downloads per day.
 */
import {formatBytes} from './format-bytes.js';
import type {LibraryStats, Trend} from './stats.js';

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_BARS = ['_', '.', '-', '=', '*', '#'];

/** One character per value, scaled to the largest; a zero is always the lowest mark. */
export function sparkline(values: readonly number[], ascii = false): string {
	const marks = ascii ? ASCII_BARS : BARS;
	const max = Math.max(0, ...values);
	return values.map(v => (max === 0 || v <= 0 ? (ascii ? ' ' : marks[0]!) : marks[Math.min(marks.length - 1, Math.ceil((v / max) * (marks.length - 1)))]!)).join('');
}

/** One line of the summary: its label, and its text (after the sparkline, on the trend's line). */
export type SummaryLine = {label: string; text: string; spark?: string};

const downloads = (n: number) => `${n} download${n === 1 ? '' : 's'}`;

export function statsSummary(s: LibraryStats, trend: Trend, ascii = false): SummaryLine[] {
	const total = trend.data.reduce((n, d) => n + d.count, 0);
	return [
		{label: 'images', text: `${s.totalImages} (${s.completed} complete, ${s.pending} queued or running, ${s.failed} failed)`},
		{label: 'storage', text: `${formatBytes(s.totalSizeBytes)} used, ${s.freeBytes === undefined ? '?' : formatBytes(s.freeBytes)} free`},
		{label: 'served', text: `${downloads(s.totalDownloads)}, ${formatBytes(s.bytesServed)} sent`},
		{label: 'saved', text: `${formatBytes(s.bandwidthSaved)} of bandwidth (every download after the first)`},
		{label: `last ${trend.data.length} days`, spark: sparkline(trend.data.map(d => d.count), ascii), text: downloads(total)},
	];
}

/** The label column's width (the longest label, "last 30 days", and a space). */
export const SUMMARY_LABEL_WIDTH = 12;

export function summaryLineText(line: SummaryLine): string {
	return `${line.label.padEnd(SUMMARY_LABEL_WIDTH - 1)} ${line.spark === undefined ? '' : `${line.spark} `}${line.text}`;
}
