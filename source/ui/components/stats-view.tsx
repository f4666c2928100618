/**
 * The stats view (key `s`): the library's totals, storage used and free, downloads served and bandwidth saved (the
 * same lines as `isoman stats`), a sparkline of the last 30 days' downloads, and the most downloaded images in an
 * ink-table (@alcalzone/ink-table). ink-table sizes each column to its longest value and never cuts one, so the
 * cells are cut here to widths that keep the whole table inside the screen (80 columns and up); it counts a
 * value's length, not its width on screen, which is right here because names, versions and arches are ASCII (the
 * naming rules allow nothing else). Its borders are box-drawing characters: under --ascii the skeleton component
 * swaps them for - | +. It puts a rule between rows, so each image takes two lines; as many as fit are shown.
 */
import {Table} from '@alcalzone/ink-table';
import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import {formatBytes, statsSummary, SUMMARY_LABEL_WIDTH, type LibraryStats, type Trend} from '../../core/index.js';
import {truncate} from '../format.js';
import type {Theme} from '../theme.js';

const ASCII_BORDER: Record<string, string> = {'─': '-', '│': '|', '┌': '+', '┐': '+', '└': '+', '┘': '+', '┬': '+', '┴': '+', '┼': '+', '├': '+', '┤': '+'};

type Row = {image: string; version: string; arch: string; downloads: number; size: string};

/** Column widths that fit `width`: ink-table adds a space each side of a cell and a border between and around. */
export function columnWidths(rows: Row[], width: number): {image: number; version: number} | undefined {
	const longest = (key: keyof Row) => Math.max(String(key).length, ...rows.map(r => String(r[key]).length));
	const fixed = longest('arch') + longest('downloads') + longest('size');
	const frame = 5 * 2 + 6;
	const version = Math.min(longest('version'), 12);
	const image = Math.min(longest('image'), width - frame - fixed - version);
	return image < 'image'.length ? undefined : {image, version};
}

/** Lines the view takes above the table: the title, the five summary lines, a blank line, the table's title. */
const ABOVE_TABLE = 8;

export function StatsView({stats, trend, width, height, theme}: {stats: LibraryStats; trend: Trend; width: number; height: number; theme: Theme}) {
	const ellipsis = theme.glyphs.ellipsis;
	// The table: its top border and headings (2 lines), two lines an image, its bottom border.
	const fit = Math.max(0, Math.floor((height - ABOVE_TABLE - 3) / 2));
	const all: Row[] = stats.top.map(t => ({image: t.name, version: t.version, arch: t.arch, downloads: t.downloadCount, size: formatBytes(t.sizeBytes)}));
	const shown = all.slice(0, fit);
	const widths = columnWidths(shown, width);
	const rows = widths ? shown.map(r => ({...r, image: truncate(r.image, widths.image, ellipsis), version: truncate(r.version, widths.version, ellipsis)})) : [];
	const skeleton = ({children}: {children?: ReactNode}) => (
		<Text color={theme.c('muted')}>{theme.ascii ? String(children).replaceAll(/[─│┌┐└┘┬┴┼├┤]/g, c => ASCII_BORDER[c]!) : children}</Text>
	);
	const header = ({children}: {children?: ReactNode}) => <Text bold>{children}</Text>;
	const more = all.length > rows.length && rows.length > 0 ? ` (top ${rows.length} of ${all.length}; a taller terminal shows more)` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<Text bold wrap="truncate-end">
				Statistics <Text color={theme.c('muted')}>Esc closes</Text>
			</Text>
			{statsSummary(stats, trend, theme.ascii).map(line => (
				<Text key={line.label} wrap="truncate-end">
					<Text color={theme.c('muted')}>{`${line.label.padEnd(SUMMARY_LABEL_WIDTH - 1)} `}</Text>
					{line.spark === undefined ? null : <Text color={theme.c('accent')}>{line.spark} </Text>}
					{line.text}
				</Text>
			))}
			<Text> </Text>
			{all.length === 0 ? (
				<Text color={theme.c('muted')} wrap="truncate-end">
					No image has been downloaded from this library yet.
				</Text>
			) : rows.length === 0 ? (
				<Text color={theme.c('muted')} wrap="truncate-end">
					Most downloaded: {all[0]!.image} {all[0]!.version} ({all[0]!.downloads}); a larger terminal shows the table.
				</Text>
			) : (
				<>
					<Text wrap="truncate-end">Most downloaded{more}</Text>
					<Table
						data={rows}
						columns={['image', 'version', 'arch', {key: 'downloads', align: 'right'}, {key: 'size', align: 'right'}]}
						skeleton={skeleton}
						header={header}
					/>
				</>
			)}
		</Box>
	);
}
