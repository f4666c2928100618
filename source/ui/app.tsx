/**
 * The root component: header, the library (tree + details, or an overlay: help, dialog, notices, statistics, the
 * add or edit form), status line and key hints. It renders the library store and the controller's state; every key
 * goes to the controller through one subscription. The root box is `rows - 1` tall: Ink 6 clears the whole terminal every frame once output reaches
 * `rows`.
 */
import path from 'node:path';
import {useCallback, useLayoutEffect, useMemo, useSyncExternalStore} from 'react';
import {Box} from 'ink';
import type {Library} from '../core/index.js';
import type {UiController} from './controller.js';
import {SORT_LABELS} from './order.js';
import {AddFormView} from './components/add-form-view.js';
import {Details} from './components/details.js';
import {Dialog} from './components/dialog.js';
import {Footer, StatusLine} from './components/footer.js';
import {Header} from './components/header.js';
import {Help, helpLines} from './components/help.js';
import {NoticesView} from './components/notices-view.js';
import {StatsView} from './components/stats-view.js';
import {MIN_COLUMNS, MIN_ROWS, TooSmall} from './components/too-small.js';
import {TreeView} from './components/tree-view.js';
import {useDiskFree} from './disk-free.js';
import {useServerUrl} from './use-server-url.js';
import type {LibraryStore} from './store.js';
import type {Theme} from './theme.js';
import type {UiOptions} from './ui-options.js';
import type {Limits} from './wait-reason.js';

const DEFAULT_LIMITS: Limits = {concurrency: 3, perHost: 2};
import {useKeypress} from './use-keypress.js';
import {useTerminalSize} from './use-terminal-size.js';

/** At this width and above the details sit beside the list; below, Tab/Enter switch between them. */
const WIDE_COLUMNS = 120;

export type AppProps = {
	controller: UiController;
	store: LibraryStore;
	manager: Pick<Library, 'daemonPid' | 'events'>;
	dataDir: string;
	/** Where the image files are (absolute): the details show each file's full path. */
	imagesDir?: string;
	/** Download slots (for the wait reason of queued rows). */
	limits?: Limits;
	/** The process that holds the library when this one does not. */
	holder?: {role: string; pid: number};
	ui: Pick<UiOptions, 'spinners'>;
	theme: Theme;
};

export function App({controller, store, manager, dataDir, imagesDir = path.join(dataDir, 'images'), holder, limits = DEFAULT_LIMITS, ui, theme}: AppProps) {
	const {columns, rows} = useTerminalSize();
	const state = useSyncExternalStore(controller.subscribe, controller.getState);
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const free = useDiskFree(dataDir);
	const serving = useServerUrl(dataDir);
	useKeypress(controller.handleInput);
	// Stable, so the details re-read the audit log only when the selected image changes.
	const events = useCallback((id: string, limit: number) => manager.events(id, limit), [manager]);
	const wide = columns >= WIDE_COLUMNS;
	const mainHeight = rows - 1 - 3;
	const helpCount = useMemo(() => helpLines(theme.ascii).length + 1, [theme.ascii]);
	// The controller pages by what was laid out: told after the frame is committed, never during render.
	useLayoutEffect(() => controller.setLayout({pageSize: mainHeight, wide, helpLines: helpCount}), [controller, mainHeight, wide, helpCount]);
	if (columns < MIN_COLUMNS || rows < MIN_ROWS) return <TooSmall columns={columns} rows={rows} />;

	const height = rows - 1;
	const mode = controller.mode(state);
	const model = controller.rows(snapshot, state);
	const index = controller.selectedIndex(model, state);
	const selected = model.rows[index];

	let main;
	const treeProps = {model, selectedIndex: index, snapshot, height: mainHeight, theme, filter: state.filter, marked: state.marked, limits};
	const detailsProps = {row: selected, snapshot, events, imagesDir, serverUrl: serving, height: mainHeight, theme};
	if (state.help) {
		main = <Help scroll={state.help.scroll} width={columns} height={mainHeight} theme={theme} />;
	} else if (state.dialog) {
		main = <Dialog dialog={state.dialog} width={columns} height={mainHeight} theme={theme} />;
	} else if (state.notices) {
		main = <NoticesView notices={controller.noticeLog.list()} scroll={state.notices.scroll} width={columns} height={mainHeight} theme={theme} onLines={controller.setNoticeLines} />;
	} else if (state.stats) {
		main = <StatsView stats={state.stats.stats} trend={state.stats.trend} width={columns} height={mainHeight} theme={theme} />;
	} else if (state.form) {
		main = <AddFormView state={state.form} width={columns} height={mainHeight} theme={theme} />;
	} else if (state.pane === 'details') {
		main = (
			<Details
				{...detailsProps}
				width={columns}
				scroll={state.detailsScroll}
				onLines={controller.setDetailsLines}
			/>
		);
	} else if (wide) {
		// The list keeps room for percent, speed and ETA; the details get the rest (at least 46 columns at 120).
		const treeWidth = Math.max(72, Math.min(Math.floor(columns * 0.6), columns - 70));
		main = (
			<>
				<TreeView {...treeProps} width={treeWidth} />
				<Box borderStyle={theme.border} borderTop={false} borderRight={false} borderBottom={false} borderColor={theme.c('muted')} paddingLeft={1}>
					<Details
						{...detailsProps}
						width={columns - treeWidth - 2}
						moreHint="Enter: all"
					/>
				</Box>
			</>
		);
	} else {
		main = <TreeView {...treeProps} width={columns} />;
	}

	// How the rows are listed, when it is not the default tree by name.
	const arrangement = [state.view === 'list' ? 'list' : '', state.order === 'name' ? '' : `by ${SORT_LABELS[state.order]}`].filter(Boolean).join(', ');
	const position =
		(mode !== 'normal' && mode !== 'details') || model.rows.length === 0
			? ''
			: `${index + 1}/${model.rows.length}${arrangement ? `  ${arrangement}` : ''}${state.pane === 'details' ? '  (details; Esc: list)' : ''}`;
	return (
		<Box flexDirection="column" width={columns} height={height} overflowY="hidden">
			<Header
				snapshot={snapshot}
				dataDir={dataDir}
				free={free}
				filter={state.filter}
				daemonPid={manager.daemonPid}
				holder={holder}
				marked={state.marked.size}
				owner={manager.daemonPid === undefined}
				serving={serving}
				width={columns}
				theme={theme}
				spinners={ui.spinners}
			/>
			<Box height={mainHeight} width={columns} overflowY="hidden">
				{main}
			</Box>
			<StatusLine
				quitting={state.quitting}
				filterEditing={state.filterEditing}
				filter={state.filter}
				limit={state.limit}
				message={state.message ?? state.banner}
				position={position}
				width={columns}
				theme={theme}
			/>
			<Footer mode={mode} width={columns} theme={theme} selected={selected?.kind === 'file' ? snapshot.byId.get(selected.key) : undefined} />
		</Box>
	);
}
