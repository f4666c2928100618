/** `isoman stats` as text: the totals, the top images and a sparkline of the last 30 days' downloads. */
import {formatBytes, type LibraryStats, type Trend} from '../core/index.js';
import {table} from './format.js';

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_BARS = ['_', '.', '-', '=', '*', '#'];

/** One character per value, scaled to the largest; a zero is always the lowest mark. */
export function sparkline(values: readonly number[], ascii = false): string {
	const marks = ascii ? ASCII_BARS : BARS;
	const max = Math.max(0, ...values);
	return values.map(v => (max === 0 || v <= 0 ? (ascii ? ' ' : marks[0]!) : marks[Math.min(marks.length - 1, Math.ceil((v / max) * (marks.length - 1)))]!)).join('');
}

export function statsText(s: LibraryStats, trend: Trend, ascii = false): string {
	const total = trend.data.reduce((n, d) => n + d.count, 0);
	const lines = [
		`images      ${s.totalImages} (${s.completed} complete, ${s.pending} queued or running, ${s.failed} failed)`,
		`storage     ${formatBytes(s.totalSizeBytes)} used, ${s.freeBytes === undefined ? '?' : formatBytes(s.freeBytes)} free`,
		`served      ${s.totalDownloads} downloads, ${formatBytes(s.bytesServed)} sent`,
		`saved       ${formatBytes(s.bandwidthSaved)} of bandwidth (every download after the first)`,
		`last ${trend.data.length} days ${sparkline(trend.data.map(d => d.count), ascii)} ${total} downloads`,
	];
	if (s.top.length > 0) {
		lines.push('', table(['ID', 'NAME', 'VERSION', 'ARCH', 'DOWNLOADS', 'SIZE'], s.top.map(t => [t.id, t.name, t.version, t.arch, String(t.downloadCount), formatBytes(t.sizeBytes)])));
	}

	return lines.join('\n');
}
