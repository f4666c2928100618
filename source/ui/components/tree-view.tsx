/**
 * The windowed library list: only the rows that fit are rendered; the selection stays visible with a scroll-off
 * margin of two rows, and the window follows the selected item (by key) when rows move.
 */
import {useMemo, useRef} from 'react';
import {Box, Text} from 'ink';
import {groupSummary} from '../file-state.js';
import type {LibrarySnapshot} from '../store.js';
import type {Theme} from '../theme.js';
import {scrollWindow, type RowModel} from '../tree.js';
import {TreeRow} from './tree-row.js';
import {runningCounts, waitReason, type Limits} from '../wait-reason.js';

export type TreeViewProps = {
	model: RowModel;
	selectedIndex: number;
	snapshot: LibrarySnapshot;
	width: number;
	height: number;
	theme: Theme;
	filter: string;
	/** Marked image ids. */
	marked?: ReadonlySet<string>;
	limits?: Limits;
};

export function TreeView({model, selectedIndex, snapshot, width, height, theme, filter, marked, limits}: TreeViewProps) {
	const counts = useMemo(() => runningCounts(snapshot.images), [snapshot.images]);
	const top = useRef(0);
	const {rows} = model;
	top.current = scrollWindow(top.current, Math.max(0, selectedIndex), rows.length, height, 2);
	if (rows.length === 0) {
		const text = filter.trim() ? `Nothing matches "${filter}". Esc clears the filter.` : 'The library is empty. Press a to add an image.';
		return (
			<Box width={width} height={height} flexDirection="column">
				<Text color={theme.c('muted')} wrap="truncate-end">
					{'  '}
					{text}
				</Text>
			</Box>
		);
	}

	const visible = rows.slice(top.current, top.current + height);
	return (
		<Box width={width} height={height} flexDirection="column" overflowY="hidden">
			{visible.map((row, offset) => {
				const index = top.current + offset;
				if (row.kind === 'file') {
					const image = snapshot.byId.get(row.key);
					return (
						<TreeRow
							key={row.key}
							row={row}
							selected={index === selectedIndex}
							width={width}
							theme={theme}
							image={image}
							progress={snapshot.progress.get(row.key)}
							marked={marked?.has(row.key) ?? false}
							wait={image && limits ? waitReason(image, counts, limits) : undefined}
						/>
					);
				}

				const note = row.expanded
					? `(${row.childCount} ${row.kind === 'name' ? (row.childCount === 1 ? 'version' : 'versions') : row.childCount === 1 ? 'file' : 'files'})`
					: groupSummary(row.imageIds, snapshot.byId, snapshot.progress);
				const groupMarked = marked !== undefined && marked.size > 0 && row.imageIds.length > 0 && row.imageIds.every(id => marked.has(id));
				return <TreeRow key={row.key} row={row} selected={index === selectedIndex} width={width} theme={theme} note={note} marked={groupMarked} />;
			})}
		</Box>
	);
}
