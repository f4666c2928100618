/** Cutting a line of styled pieces to a width. Columns are counted as code points, as everywhere in the TUI (format.ts). */
import type {Segment} from './file-state.js';

function segmentsWidth(segments: readonly Segment[]): number {
	let width = 0;
	for (const segment of segments) width += [...segment.text].length;
	return width;
}

/**
 * The pieces padded with spaces to exactly `width` columns, or cut to it with `ellipsis` at the end (in the style of
 * the piece it ends), as format.ts's `truncate` cuts a string.
 */
export function fitSegments(segments: readonly Segment[], width: number, ellipsis: string): Segment[] {
	if (width <= 0) return [];
	const total = segmentsWidth(segments);
	if (total <= width) return total === width ? [...segments] : [...segments, {text: ' '.repeat(width - total)}];
	const mark = [...ellipsis].length;
	if (width <= mark) return [{text: [...segments.map(s => s.text).join('')].slice(0, width).join('')}];
	const room = width - mark;
	const out: Segment[] = [];
	let used = 0;
	for (const segment of segments) {
		const chars = [...segment.text];
		if (used + chars.length < room) {
			out.push(segment);
			used += chars.length;
			continue;
		}

		out.push({...segment, text: chars.slice(0, room - used).join('') + ellipsis});
		break;
	}

	return out;
}
