/**
 * The details of the selected file (or a summary of the selected group): a window onto the pre-wrapped lines of
 * details-lines.ts, so nothing ever overlaps. Beside the list it is clipped with a "more" line; as its own view
 * (Enter or Tab on a file) it scrolls, and Esc closes it.
 */
import {useLayoutEffect, useMemo} from 'react';
import {Box, Text} from 'ink';
import type {AuditEvent} from '../../core/index.js';
import {detailLines} from '../details-lines.js';
import type {LibrarySnapshot} from '../store.js';
import type {Theme} from '../theme.js';
import type {Row} from '../tree.js';
import {useNow} from '../use-now.js';
import {fitSegments} from '../segment-fit.js';
import {Line} from './line.js';
import {Segments} from './segments.js';

export type DetailsProps = {
	row: Row | undefined;
	snapshot: LibrarySnapshot;
	events: (id: string, limit: number) => AuditEvent[];
	imagesDir: string;
	/** The daemon's URL when it serves the library: complete images show theirs. */
	serverUrl?: string;
	width: number;
	height: number;
	theme: Theme;
	/** First line shown (the details view scrolls; beside the list it is 0). */
	scroll?: number;
	/** Told how many lines there are (so the controller can bound scrolling). */
	onLines?: (count: number) => void;
	/** The hint on the last line when lines are cut off. */
	moreHint?: string;
};

const EVENTS = 20;

export function Details({row, snapshot, events: readEvents, imagesDir, serverUrl, width, height, theme, scroll = 0, onLines, moreHint}: DetailsProps) {
	const image = row?.kind === 'file' ? snapshot.byId.get(row.key) : undefined;
	const progress = image ? snapshot.progress.get(image.id) : undefined;
	const now = useNow(progress?.retry ? 1000 : undefined);
	// The audit log is re-read only when the image itself changed.
	const events = useMemo(
		() => (image ? readEvents(image.id, EVENTS) : []),
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[image?.id, image?.updatedAt, image?.status, readEvents],
	);
	const lines = detailLines({row, snapshot, events, imagesDir, serverUrl, width, theme, now});
	// Told after the frame is committed, never during render.
	useLayoutEffect(() => onLines?.(lines.length), [onLines, lines.length]);
	const overflow = lines.length > height;
	const body = overflow ? Math.max(1, height - 1) : height;
	const start = Math.max(0, Math.min(scroll, lines.length - body));
	const shown = lines.slice(start, start + body);
	const below = lines.length - start - shown.length;
	return (
		<Box flexDirection="column" width={width} height={height} overflowY="hidden">
			{shown.map((line, index) => (
				<Line key={start + index} width={width}>
					<Segments segments={fitSegments(line, width, theme.glyphs.ellipsis)} theme={theme} />
				</Line>
			))}
			{overflow ? (
				<Line width={width}>
					<Text color={theme.c('muted')}>
						{start > 0 ? `${theme.glyphs.up} ${start} above  ` : ''}
						{below > 0 ? `${theme.glyphs.down} ${below} more` : 'end'}
						{moreHint ? `  (${moreHint})` : ''}
					</Text>
				</Line>
			) : null}
		</Box>
	);
}
