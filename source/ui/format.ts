/** Human-readable numbers for the screen: sizes, rates, durations, times. Pure. */
import {BYTE_UNITS, formatBytes} from '../core/index.js';

export {formatBytes};

/** Done/total in the total's unit: "1.20/2.80 GiB"; done alone when the total is unknown. */
export function formatBytesOf(done: number, total: number | null): string {
	if (total === null || total <= 0) return formatBytes(done);
	const [totalNumber, unit] = formatBytes(total).split(' ') as [string, string];
	const index = (BYTE_UNITS as readonly string[]).indexOf(unit);
	const doneValue = index <= 0 ? Math.round(done) : done / 1024 ** index;
	const digits = index <= 0 ? 0 : Math.min(2, totalNumber.split('.')[1]?.length ?? 0);
	return `${doneValue.toFixed(digits)}/${totalNumber} ${unit}`;
}

export function formatRate(bytesPerSecond: number): string {
	return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds → "45s", "5m12s", "2h05m", "3d04h"; "?" when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
	if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
	const s = Math.round(seconds);
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
	const h = Math.floor(m / 60);
	if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
	return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Percentage with one decimal below 10 %, whole above: "4.2%", "43%". */
export function formatPercent(fraction: number): string {
	const pct = Math.max(0, Math.min(100, fraction * 100));
	return pct < 10 && pct > 0 ? `${pct.toFixed(1)}%` : `${Math.floor(pct)}%`;
}

/** ISO timestamp → "2024-06-01 12:03:04" in local time; "" when absent. */
export function formatTimestamp(iso: string | null | undefined): string {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	const p = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Cut `text` to `width` columns with an ellipsis. Everything we cut is ASCII or one-column symbols. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
	if (width <= 0) return '';
	const chars = [...text];
	if (chars.length <= width) return text;
	if (width <= ellipsis.length) return chars.slice(0, width).join('');
	return chars.slice(0, width - ellipsis.length).join('') + ellipsis;
}

/** Cut or pad `text` to exactly `width` columns. */
export function fit(text: string, width: number, ellipsis = '…'): string {
	const cut = truncate(text, width, ellipsis);
	const length = [...cut].length;
	return length < width ? cut + ' '.repeat(width - length) : cut;
}

/** Cut in the middle, keeping both ends (URLs, paths, digests). */
export function truncateMiddle(text: string, width: number, ellipsis = '…'): string {
	const chars = [...text];
	if (chars.length <= width) return text;
	if (width <= ellipsis.length + 1) return truncate(text, width, ellipsis);
	const keep = width - ellipsis.length;
	const head = Math.ceil(keep / 2);
	return chars.slice(0, head).join('') + ellipsis + chars.slice(chars.length - (keep - head)).join('');
}
