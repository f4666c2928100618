/** Human output for subcommands: sizes in binary units, states as words, a plain aligned table. */
import {progressOf} from '../core/catalogue/repository.js';
import {displayText} from '../core/display-text.js';
import type {Image} from '../core/types.js';

export function formatBytes(bytes: number | null | undefined): string {
	if (bytes === null || bytes === undefined) return '?';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function stateWord(image: Image): string {
	switch (image.status) {
		case 'complete':
			return image.expectedChecksum ? 'verified' : 'unverified';
		case 'failed':
			return `failed (${image.errorCode ?? 'error'})`;
		case 'downloading': {
			const p = progressOf(image);
			return p === null ? 'downloading' : `downloading ${p}%`;
		}

		case 'pending':
			return 'queued';
		default:
			return image.status;
	}
}

/** An aligned table; every cell is shown through displayText (no control or bidi character reaches the terminal). */
export function table(headers: string[], cells: string[][]): string {
	const rows = cells.map(r => r.map(c => displayText(c)));
	const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
	const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
	return [line(headers), ...rows.map(line)].join('\n');
}

export function imageTable(images: Image[]): string {
	return table(
		['ID', 'NAME', 'VERSION', 'ARCH', 'EDITION', 'TYPE', 'SIZE', 'STATE'],
		images.map(i => [i.id, i.name, i.version, i.arch, i.edition ?? '-', i.fileType, formatBytes(i.sizeBytes), stateWord(i)]),
	);
}
