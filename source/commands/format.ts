/** Human output for subcommands: sizes in binary units, states as words, a plain aligned table. */
import {displayText, formatBytes, isVerified, progressOf, type Image} from '../core/index.js';

export function stateWord(image: Image): string {
	switch (image.status) {
		case 'complete':
			return isVerified(image) ? 'verified' : 'unverified';
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

/** "alpine 3.20.3 x86_64 standard iso": what a person recognises an image by (ids alone say nothing). */
export function imageLabel(image: Pick<Image, 'name' | 'version' | 'arch' | 'edition' | 'fileType'> | undefined): string {
	if (!image) return '(removed)';
	return displayText([image.name, image.version, image.arch, image.edition, image.fileType].filter(Boolean).join(' '));
}
