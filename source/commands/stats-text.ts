/** `isoman stats` as text: the totals, the top images and a sparkline of the last 30 days' downloads. */
import {formatBytes, statsSummary, summaryLineText, type LibraryStats, type Trend} from '../core/index.js';
import {table} from './format.js';

export function statsText(s: LibraryStats, trend: Trend, ascii = false): string {
	const lines = statsSummary(s, trend, ascii).map(summaryLineText);
	if (s.top.length > 0) {
		lines.push('', table(['ID', 'NAME', 'VERSION', 'ARCH', 'DOWNLOADS', 'SIZE'], s.top.map(t => [t.id, t.name, t.version, t.arch, String(t.downloadCount), formatBytes(t.sizeBytes)])));
	}

	return lines.join('\n');
}
