/** One visible row of the library tree. Memoised: only rows whose data changed re-render. */
import {memo} from 'react';
import {useNow} from '../use-now.js';
import {Text} from 'ink';
import {displayText, type Image, type Progress} from '../../core/index.js';
import {fileSize, fileStateSegments, type Segment} from '../file-state.js';
import {fit} from '../format.js';
import {fitSegments} from '../segment-fit.js';
import type {Theme} from '../theme.js';
import type {Row} from '../tree.js';
import {Line} from './line.js';
import {Segments} from './segments.js';

export type TreeRowProps = {
	row: Row;
	selected: boolean;
	width: number;
	theme: Theme;
	/** File rows. */
	image?: Image;
	progress?: Progress;
	/** Group rows: the summary (collapsed) or the child count (expanded). */
	note?: string;
	/** Marked for a bulk action (a group: all its files are). */
	marked?: boolean;
	/** Queued file rows: why it waits ("waiting: 2 already from mirror.example"). */
	wait?: string;
};

const SIZE_WIDTH = 9;
const LABEL_WANT = 24;
/** A flat list's label carries the name and version too. */
const LIST_LABEL_WANT = 36;
/** Enough for "▶ retry 3/8 in 15s: connection refused" and for percent, speed, ETA and a short bar. */
const STATE_WANT = 38;

function TreeRowView({row, selected, width, theme, image, progress, note, marked = false, wait}: TreeRowProps) {
	// A row waiting to retry counts down once a second; no timer otherwise.
	const now = useNow(progress?.retry ? 1000 : undefined);
	const g = theme.glyphs;
	const prefix = `${selected ? g.selected : ' '}${marked ? g.marked : ' '}${'  '.repeat(row.depth)}`;
	const segments: Segment[] = [];
	if (row.kind === 'file') {
		const rest = width - [...prefix].length - 2;
		// The label keeps what it needs up to LABEL_WANT columns; the state (bar, %, speed, ETA) gets the rest.
		// One label width for every row at this depth, so that sizes, bars and numbers line up in columns.
		const labelWant = Math.min(row.depth === 0 ? LIST_LABEL_WANT : LABEL_WANT, Math.max(row.depth === 0 ? 30 : 22, rest - SIZE_WIDTH - 2 - STATE_WANT));
		const stateWidth = Math.max(8, rest - SIZE_WIDTH - 2 - labelWant);
		const state = image ? (wait && !progress && image.status === 'pending' ? [{text: wait, color: 'muted' as const}] : fileStateSegments(image, progress, theme, stateWidth, now)) : [];
		const labelWidth = Math.max(1, rest - SIZE_WIDTH - 2 - stateWidth);
		const size = image ? fileSize(image, progress) : '';
		segments.push(
			{text: `  ${fit(displayText(row.label), labelWidth, g.ellipsis)}`},
			{text: size.padStart(SIZE_WIDTH), dim: size === '?'},
			{text: '  '},
			...state,
		);
	} else {
		const glyph = row.expanded ? g.expanded : g.collapsed;
		segments.push({text: `${glyph} `, color: 'accent'}, {text: displayText(row.label), bold: true, color: row.kind === 'name' ? 'header' : undefined});
		if (note) segments.push({text: `  ${note}`, color: row.expanded ? 'muted' : undefined, dim: row.expanded});
	}

	// Padded to the width (the selection's inverse runs to the edge) or cut there, as every Line is.
	return (
		<Line width={width}>
			<Text inverse={selected}>
				<Segments segments={fitSegments([{text: prefix}, ...segments], width, g.ellipsis)} theme={theme} />
			</Text>
		</Line>
	);
}

export const TreeRow = memo(TreeRowView);
