/**
 * The TUI's one key dispatcher and its state. A key is parsed (keys.ts), looked up in the binding table for the
 * current mode (keymap.ts) and handled once; text modes (filter, form) take the printable keys nobody bound.
 * State lives here, outside React, so a burst of keys in one read sees each previous key's effect; components read
 * it with `useSyncExternalStore`. Commands go to the manager; nothing here touches the database or the disk.
 */
import {DuplicateImageError, formatRateLimit, RATE_RULE, signatureCandidates, tryParseRate, type Image, type Library, type LibraryStats, type Trend} from '../core/index.js';
import * as form from './add-form.js';
import {editForm, isChanged, toEditPatch} from './edit-form.js';
import {liveMarks, pauseOrResume, planBulk, plural, toggleMarks, VERBS, type BulkAction} from './bulk.js';
import {osc52} from './clipboard.js';
import {absolutePath} from './details-lines.js';
import {NoticeLog} from './notice-log.js';
import {bulkDialog, cancelDialog, describeImage, discardDialog, duplicateDialog, quitDialog, removeDialog, type DialogState} from './dialogs.js';
import {parseKeys, type KeyEvent} from './keys.js';
import {bindingFor, bindingOf, TEXT_MODES, verdictFor, type Action, type Mode} from './keymap.js';
import type {LibraryStore, LibrarySnapshot} from './store.js';
import {nextOrder, SORT_LABELS, type SortOrder, type ViewKind} from './order.js';
import {createRowSelector, matchesFilter, nameKey, versionKey, type Row, type RowModel} from './tree.js';

export {describeImage, type DialogOption, type DialogState} from './dialogs.js';

export type QuitChoice = 'plain' | 'background' | 'pause' | 'force';

export type Message = {text: string; level: 'info' | 'warn' | 'error'; id: number};

/** The bandwidth limit line (L): the rate as typed, and whether it is for every download or one image. */
export type LimitInput = {text: string; scope: 'all' | 'image'; image: Image | undefined; error: string | undefined};

export type UiState = {
	selectedKey: string | undefined;
	/** Where the selection was: the fallback when its item disappears. */
	lastIndex: number;
	collapsed: ReadonlySet<string>;
	filter: string;
	filterEditing: boolean;
	form: form.FormState | undefined;
	/** The bandwidth limit line, while it is open. */
	limit: LimitInput | undefined;
	dialog: DialogState | undefined;
	help: {scroll: number} | undefined;
	/** The order rows are listed in (`o` cycles it). */
	order: SortOrder;
	/** The tree of names and versions, or a flat list of every file (`t`). */
	view: ViewKind;
	/** The list, or the selected row's details as their own (scrollable) view. */
	pane: 'tree' | 'details';
	/** First line of the details view. */
	detailsScroll: number;
	/** Marked images (ids): p x r v D act on all of them. */
	marked: ReadonlySet<string>;
	/** The notices view, scrolled this many lines up from the newest. */
	notices: {scroll: number} | undefined;
	/** The statistics view, with what it shows (read again every STATS_REFRESH_MS while open). */
	stats: {stats: LibraryStats; trend: Trend} | undefined;
	message: Message | undefined;
	/** Set once quitting started: what the screen says meanwhile. */
	quitting: string | undefined;
	/** A message that stays until something replaces it (the daemon stopped, say). */
	banner: Message | undefined;
};

/** What the view lays out, and the controller pages by. */
export type Layout = {
	/** Rows that fit in the list (PgUp/PgDn move by it). */
	pageSize: number;
	/** Whether the details pane sits beside the list. */
	wide: boolean;
	/** Lines the help has (to bound scrolling). */
	helpLines: number;
};

export type LibraryCommands = Pick<
	Library,
	'add' | 'edit' | 'pause' | 'resume' | 'cancel' | 'retry' | 'remove' | 'verify' | 'get' | 'activeCount' | 'findSignatureUrl' | 'queryUrl' | 'stats' | 'trend'
> &
	Partial<Pick<Library, 'setLimit' | 'maxRate'>>;

/** How often the open statistics view reads them again (the daemon's server counts downloads meanwhile). */
export const STATS_REFRESH_MS = 2000;

export type ControllerOptions = {
	manager: LibraryCommands;
	store: LibraryStore;
	onQuit: (choice: QuitChoice) => void;
	/** Whether "keep downloading in the background" can be offered. */
	canBackground?: boolean;
	/** Where image files are (the path `y` copies). */
	imagesDir?: string;
	/** Writes an escape sequence to the terminal (OSC 52 for `y`, the bell or OSC 9 when a download ends). */
	writeTerminal?: (sequence: string) => void;
	/** When a download completes or fails: nothing, the terminal bell, or an OSC 9 desktop notification. */
	notify?: 'off' | 'bell' | 'osc9';
	/** How long a transient message stays (ms). */
	messageMs?: number;
	/** Called first on every key press, before it is handled (the frame writer lets the answer through at once). */
	onInput?: () => void;
	now?: () => number;
};

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class UiController {
	private state: UiState = {
		selectedKey: undefined,
		lastIndex: 0,
		collapsed: new Set(),
		filter: '',
		filterEditing: false,
		form: undefined,
		limit: undefined,
		dialog: undefined,
		help: undefined,
		order: 'name',
		view: 'tree',
		pane: 'tree',
		detailsScroll: 0,
		marked: new Set(),
		notices: undefined,
		stats: undefined,
		message: undefined,
		quitting: undefined,
		banner: undefined,
	};

	private readonly listeners = new Set<() => void>();
	private readonly selectRows = createRowSelector();
	private readonly manager: LibraryCommands;
	private readonly store: LibraryStore;
	private readonly options: ControllerOptions;
	private readonly now: () => number;
	private messageTimer: NodeJS.Timeout | undefined;
	private statsTimer: NodeJS.Timeout | undefined;
	private messageId = 0;
	private lastCtrlC = -Infinity;
	private readonly unsubscribeNotices: () => void;
	/** What the view last laid out (setLayout, from an effect after each frame: never written during render). */
	private layout: Layout = {pageSize: 10, wide: true, helpLines: 0};
	/** Lines the details view has (setDetailsLines, from an effect: bounds scrolling). */
	private detailsLines = 0;
	/** Lines the notices view has (setNoticeLines, from an effect: bounds scrolling). */
	private noticeLines = 0;
	/** The last 200 notices and events (the notices view). */
	readonly noticeLog = new NoticeLog();
	private readonly unsubscribeStore: () => void;
	private lastStatus = new Map<string, string>();

	constructor(options: ControllerOptions) {
		this.options = options;
		this.manager = options.manager;
		this.store = options.store;
		this.now = options.now ?? Date.now;
		this.unsubscribeNotices = this.store.onNotice(notice => (notice.lasting ? this.setBanner(notice.message, notice.level) : this.say(notice.message, notice.level, notice.id)));
		this.lastStatus = new Map(this.store.getSnapshot().images.map(image => [image.id, image.status]));
		this.unsubscribeStore = this.store.subscribe(() => this.onSnapshot());
	}

	/** Downloads that ended since the last snapshot go to the notices (and ring the bell, when asked to). */
	private onSnapshot(): void {
		const snapshot = this.store.getSnapshot();
		const next = new Map<string, string>();
		for (const image of snapshot.images) {
			next.set(image.id, image.status);
			const before = this.lastStatus.get(image.id);
			if (before === undefined || before === image.status) continue;
			if (image.status === 'complete') this.ended(`Completed ${describeImage(image)}${image.expectedChecksum ? ' (verified)' : ' (unverified)'}`, 'info', image.id);
			else if (image.status === 'failed') this.ended(`Failed ${describeImage(image)}: ${image.errorMessage ?? image.errorCode ?? 'unknown error'}`, 'error', image.id);
		}

		this.lastStatus = next;
		if (this.state.marked.size > 0) {
			const live = liveMarks(this.state.marked, snapshot.byId);
			if (live.size !== this.state.marked.size) this.update({marked: live});
		}
	}

	private ended(text: string, level: 'info' | 'error', imageId?: string): void {
		// Once per ending: the owner's manager may have sent its own notice about it already.
		this.noticeLog.add(level, text, this.now(), imageId);
		const notify = this.options.notify ?? 'off';
		if (notify === 'bell') this.options.writeTerminal?.('\x07');
		else if (notify === 'osc9') this.options.writeTerminal?.(`\x1b]9;isoman: ${text.replaceAll(/[\x00-\x1f\x7f-\x9f]/g, ' ').slice(0, 200)}\x07`);
		this.update({});
	}

	/** The view's layout, for paging and the one-pane mode. Called from an effect, after the frame is committed. */
	setLayout(layout: Layout): void {
		this.layout = layout;
	}

	/** How many lines the details have (from the details view's effect). */
	setDetailsLines = (count: number): void => {
		this.detailsLines = count;
	};

	/** How many lines the notices view has (from its effect). */
	setNoticeLines = (count: number): void => {
		this.noticeLines = count;
	};

	// ---- for useSyncExternalStore ----

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getState = (): UiState => this.state;

	dispose(): void {
		clearTimeout(this.messageTimer);
		clearInterval(this.statsTimer);
		this.unsubscribeNotices();
		this.unsubscribeStore();
		this.listeners.clear();
	}

	// ---- derived ----

	mode(state = this.state): Mode {
		if (state.help) return 'help';
		if (state.notices && !state.dialog) return 'notices';
		if (state.stats && !state.dialog) return 'stats';
		if (state.dialog) return 'dialog';
		if (state.form) return 'form';
		if (state.limit) return 'limit';
		if (state.filterEditing) return 'filter';
		if (state.pane === 'details') return 'details';
		return 'normal';
	}

	rows(snapshot: LibrarySnapshot = this.store.getSnapshot(), state = this.state): RowModel {
		return this.selectRows(snapshot.images, state.collapsed, state.filter, {order: state.order, view: state.view});
	}

	/** Index of the selected row: the selected item where it now is, else where the selection was. */
	selectedIndex(model: RowModel, state = this.state): number {
		if (model.rows.length === 0) return -1;
		const index = state.selectedKey === undefined ? undefined : model.indexOf.get(state.selectedKey);
		if (index !== undefined) return index;
		return Math.max(0, Math.min(state.lastIndex, model.rows.length - 1));
	}

	selectedRow(): Row | undefined {
		const model = this.rows();
		return model.rows[this.selectedIndex(model)];
	}

	selectedImage(): Image | undefined {
		const row = this.selectedRow();
		return row?.kind === 'file' ? this.store.getSnapshot().byId.get(row.key) : undefined;
	}

	// ---- input ----

	/** Raw input from Ink's stdin event (one escape sequence or one run of characters). */
	handleInput = (data: string): void => {
		this.options.onInput?.();
		for (const event of parseKeys(data)) this.handleKey(event);
	};

	handleKey(event: KeyEvent): void {
		// While quitting only Ctrl-C counts (it asks not to wait).
		if (this.state.quitting && event.name !== 'ctrl+c') return;
		const mode = this.mode();
		if (event.name === 'text') {
			if (TEXT_MODES.has(mode)) this.typeText(event.text ?? '');
			else for (const ch of event.text ?? '') this.handleKey({name: ch, text: ch});
			return;
		}

		// A dialog's own letters come first: [j]ump must not be read as "move down".
		if (mode === 'dialog' && event.text && this.pickLetter(event.text)) return;
		const binding = bindingFor(mode, event.name);
		if (binding) {
			this.run(binding.action);
			return;
		}

		if (TEXT_MODES.has(mode) && event.text) this.typeText(event.text);
	}

	/** Run the handler of a binding's action (found through the table below). */
	run(action: Action): void {
		this.handlers[action]();
	}

	/**
	 * Every action of the binding table, with its handler: a Record over `Action`, so an action added to keymap.ts
	 * without a handler here does not compile.
	 */
	private readonly handlers: Readonly<Record<Action, () => void>> = {
		up: () => this.move(-1),
		down: () => this.move(1),
		top: () => this.moveTo(0),
		bottom: () => this.moveTo(Number.MAX_SAFE_INTEGER),
		pageUp: () => this.move(-Math.max(1, this.layout.pageSize - 1)),
		pageDown: () => this.move(Math.max(1, this.layout.pageSize - 1)),
		collapse: () => this.collapse(),
		expand: () => this.expand(),
		toggle: () => this.toggle(),
		add: () => this.update({form: form.emptyForm()}),
		edit: () => this.withAllowed('edit', image => this.update({form: editForm(image), pane: 'tree'})),
		stats: () => this.openStats(),
		statsClose: () => this.closeStats(),
		limit: () => this.openLimit(),
		limitSubmit: () => this.submitLimit(),
		limitCancel: () => this.update({limit: undefined}),
		limitScope: () => this.switchLimitScope(),
		limitBackspace: () => this.editLimit([...(this.state.limit?.text ?? '')].slice(0, -1).join('')),
		limitClear: () => this.editLimit(''),
		pauseResume: () => this.pauseResume(),
		cancel: () => this.marksOr('cancel', () => this.confirmCancel()),
		retry: () => this.marksOr('retry', () => this.withAllowed('retry', image => this.command(this.manager.retry(image.id), `Retrying ${describeImage(image)}`))),
		verify: () => this.marksOr('verify', () => this.verify()),
		remove: () => this.marksOr('remove', () => this.confirmRemove()),
		mark: () => this.mark(),
		retryFailed: () => this.retryFailed(),
		cycleOrder: () => {
			const order = nextOrder(this.state.order);
			this.update({order});
			this.say(`Sorted by ${SORT_LABELS[order]} (o: next order)`);
		},
		toggleView: () => {
			const view = this.state.view === 'tree' ? 'list' : 'tree';
			this.update({view});
			this.say(view === 'list' ? 'Every file in one list (t: back to the tree)' : 'The tree of names and versions (t: one flat list)');
		},
		expandAll: () => this.update({collapsed: new Set()}),
		collapseAll: () => this.collapseAll(),
		copyPath: () => this.copyPath(),
		notices: () => this.update({notices: {scroll: 0}}),
		noticesUp: () => this.scrollNotices(1),
		noticesDown: () => this.scrollNotices(-1),
		noticesPageUp: () => this.scrollNotices(Math.max(1, this.layout.pageSize - 2)),
		noticesPageDown: () => this.scrollNotices(-Math.max(1, this.layout.pageSize - 2)),
		noticesClose: () => this.update({notices: undefined}),
		filter: () => this.update({filterEditing: true}),
		clearFilter: () => {
			if (this.state.marked.size > 0) this.update({marked: new Set()});
			else if (this.state.filter !== '') this.setFilter('');
		},
		switchPane: () => this.openDetails(),
		detailsUp: () => this.scrollDetails(-1),
		detailsDown: () => this.scrollDetails(1),
		detailsPageUp: () => this.scrollDetails(-Math.max(1, this.layout.pageSize - 2)),
		detailsPageDown: () => this.scrollDetails(Math.max(1, this.layout.pageSize - 2)),
		detailsTop: () => this.scrollDetails(-Number.MAX_SAFE_INTEGER),
		detailsBottom: () => this.scrollDetails(Number.MAX_SAFE_INTEGER),
		detailsClose: () => this.update({pane: 'tree', detailsScroll: 0}),
		help: () => this.update({help: {scroll: 0}}),
		quit: () => this.requestQuit(false),
		forceQuit: () => this.requestQuit(true),
		filterDone: () => this.update({filterEditing: false}),
		filterCancel: () => {
			this.setFilter('');
			this.update({filterEditing: false});
		},
		filterBackspace: () => this.setFilter([...this.state.filter].slice(0, -1).join('')),
		filterClear: () => this.setFilter(''),
		formSubmit: () => this.submitForm(),
		formCancel: () => this.cancelForm(),
		formLeft: () => this.updateForm(form.moveCursor, -1),
		formRight: () => this.updateForm(form.moveCursor, 1),
		formHome: () => this.updateForm(form.moveCursor, -Infinity),
		formEnd: () => this.updateForm(form.moveCursor, Infinity),
		formDeleteWord: () => this.updateForm(form.deleteWord),
		formNext: () => this.updateForm(form.moveFocus, 1),
		formPrevious: () => this.updateForm(form.moveFocus, -1),
		formBackspace: () => this.updateForm(form.backspace),
		formClear: () => this.updateForm(form.clearField),
		dialogConfirm: () => {
			const dialog = this.state.dialog;
			dialog?.options[dialog.selected]?.run();
		},
		dialogCancel: () => this.state.dialog?.cancel(),
		dialogNext: () => this.moveDialog(1),
		dialogPrevious: () => this.moveDialog(-1),
		// The letters themselves are matched before the table is consulted (pickLetter).
		dialogLetter: () => undefined,
		helpClose: () => this.update({help: undefined}),
		helpUp: () => this.scrollHelp(-Math.max(1, this.layout.pageSize - 1)),
		helpDown: () => this.scrollHelp(Math.max(1, this.layout.pageSize - 1)),
	};

	// ---- messages ----

	say(text: string, level: Message['level'] = 'info', imageId?: string): void {
		this.noticeLog.add(level, text, this.now(), imageId);
		const id = ++this.messageId;
		clearTimeout(this.messageTimer);
		this.update({message: {text, level, id}});
		this.messageTimer = setTimeout(() => {
			if (this.state.message?.id === id) this.update({message: undefined});
		}, this.options.messageMs ?? (level === 'error' ? 8000 : 4000));
		this.messageTimer.unref();
	}

	/** A line that stays (in the notices too). */
	setBanner(text: string, level: Message['level'] = 'error'): void {
		this.noticeLog.add(level, text, this.now());
		this.update({banner: {text, level, id: ++this.messageId}});
	}

	/** Shown while quitting (the view replaces the footer with it). */
	setQuitting(text: string): void {
		this.update({quitting: text, dialog: undefined});
	}

	// ---- navigation ----

	private update(patch: Partial<UiState>): void {
		this.state = {...this.state, ...patch};
		for (const listener of this.listeners) listener();
	}

	private moveTo(index: number): void {
		const model = this.rows();
		if (model.rows.length === 0) return;
		const clamped = Math.max(0, Math.min(index, model.rows.length - 1));
		this.update({selectedKey: model.rows[clamped]!.key, lastIndex: clamped});
	}

	private move(delta: number): void {
		const model = this.rows();
		const current = this.selectedIndex(model);
		if (current < 0) return;
		this.moveTo(current + delta);
	}

	private setCollapsed(key: string, collapsed: boolean): void {
		const next = new Set(this.state.collapsed);
		if (collapsed) next.add(key);
		else next.delete(key);
		this.update({collapsed: next});
	}

	private openDetails(): void {
		if (this.selectedRow()) this.update({pane: 'details', detailsScroll: 0});
	}

	private scrollDetails(delta: number): void {
		const max = Math.max(0, this.detailsLines - Math.max(1, this.layout.pageSize - 1));
		this.update({detailsScroll: Math.max(0, Math.min(max, this.state.detailsScroll + delta))});
	}

	private collapse(): void {
		const row = this.selectedRow();
		if (!row) return;
		if (row.kind !== 'file' && row.expanded && this.state.filter.trim() === '') {
			this.setCollapsed(row.key, true);
			return;
		}

		if (row.parent) this.select(row.parent);
	}

	private expand(): void {
		const model = this.rows();
		const index = this.selectedIndex(model);
		const row = model.rows[index];
		if (!row || row.kind === 'file') return;
		if (!row.expanded) this.setCollapsed(row.key, false);
		else if (model.rows[index + 1]?.parent === row.key) this.moveTo(index + 1);
	}

	private toggle(): void {
		const row = this.selectedRow();
		if (!row) return;
		if (row.kind === 'file') {
			this.openDetails();
			return;
		}

		if (this.state.filter.trim() !== '') return;
		this.setCollapsed(row.key, row.expanded);
	}

	private select(key: string): void {
		const index = this.rows().indexOf.get(key);
		this.update({selectedKey: key, lastIndex: index ?? this.state.lastIndex});
	}

	/** Select an image, expanding its groups and dropping a filter that hides it. */
	reveal(id: string): void {
		this.store.flush();
		const image = this.store.getSnapshot().byId.get(id) ?? this.manager.get(id);
		if (!image) return;
		const collapsed = new Set(this.state.collapsed);
		collapsed.delete(nameKey(image.name));
		collapsed.delete(versionKey(image.name, image.version));
		const filter = matchesFilter(image, this.state.filter) ? this.state.filter : '';
		this.update({collapsed, filter});
		this.select(id);
	}

	private setFilter(filter: string): void {
		this.update({filter: filter.replaceAll(/[\r\n\t]/g, ' ')});
		// Keep the selected item when it still matches; the view falls back to the nearest row otherwise.
		const model = this.rows();
		const index = this.state.selectedKey === undefined ? undefined : model.indexOf.get(this.state.selectedKey);
		if (index === undefined && model.rows.length > 0) this.moveTo(Math.min(this.state.lastIndex, model.rows.length - 1));
	}

	private typeText(text: string): void {
		if (this.state.form) return this.updateForm(form.typeText, text);
		if (this.state.limit) return this.editLimit((this.state.limit.text + text.replaceAll(/[^0-9A-Za-z.]/g, '')).slice(0, 32));
		if (this.state.filterEditing) this.setFilter(this.state.filter + text.replaceAll(/[\u0000-\u001f\u007f]/g, ''));
	}

	// ---- commands ----

	private withFile(verb: string, run: (image: Image) => void): void {
		const image = this.selectedImage();
		if (!image) {
			this.say(`Select a file to ${verb}`, 'warn');
			return;
		}

		run(image);
	}

	/**
	 * Run an image action on the selected file when the rules allow it now; otherwise say why (the reason the
	 * rules module gives, the same the CLI prints) and do nothing.
	 */
	private withAllowed(action: Action, run: (image: Image) => void): void {
		const binding = bindingOf(action);
		this.withFile(binding?.hint ?? action, image => {
			const verdict = binding ? verdictFor(binding, image) : {allowed: true as const};
			if (verdict.allowed) run(image);
			else this.say(verdict.reason, 'warn');
		});
	}

	// ---- bandwidth limit ----

	/** Opens the limit line for the selected image when it is still to download, else for all downloads. */
	private openLimit(): void {
		if (!this.manager.setLimit) return this.say('Bandwidth limits are not available here', 'warn');
		const image = this.selectedImage();
		const forImage = image !== undefined && ['pending', 'downloading', 'paused'].includes(image.status);
		this.update({limit: this.limitFor(forImage ? 'image' : 'all', image), pane: 'tree'});
	}

	private limitFor(scope: LimitInput['scope'], image: Image | undefined): LimitInput {
		const current = scope === 'image' ? (image?.maxRate ?? 0) : (this.manager.maxRate?.() ?? 0);
		return {text: current > 0 ? rateText(current) : '', scope, image, error: undefined};
	}

	private switchLimitScope(): void {
		const limit = this.state.limit;
		if (!limit) return;
		if (limit.scope === 'all' && !limit.image) return this.say('Select a file to give it its own limit', 'warn');
		this.update({limit: this.limitFor(limit.scope === 'all' ? 'image' : 'all', limit.image)});
	}

	private editLimit(text: string): void {
		if (this.state.limit) this.update({limit: {...this.state.limit, text, error: undefined}});
	}

	private submitLimit(): void {
		const limit = this.state.limit;
		if (!limit || !this.manager.setLimit) return;
		const rate = tryParseRate(limit.text === '' ? '0' : limit.text);
		if (rate === undefined) return this.update({limit: {...limit, error: RATE_RULE}});
		const target = limit.scope === 'image' ? limit.image : undefined;
		this.update({limit: undefined});
		const what = target ? describeImage(target) : 'all downloads';
		this.command(this.manager.setLimit(target?.id, rate), `Limit for ${what}: ${formatRateLimit(rate)}`);
	}

	private command(promise: Promise<unknown>, done: string): void {
		promise.then(
			() => this.say(done),
			(error: unknown) => this.say(errorText(error), 'error'),
		);
	}

	private pauseResume(): void {
		if (this.state.marked.size > 0) return this.bulk(pauseOrResume(this.markedImages()));
		this.withAllowed('pauseResume', image => {
			if (image.status === 'paused') this.command(this.manager.resume(image.id), `Resumed ${describeImage(image)}`);
			else this.command(this.manager.pause(image.id), `Paused ${describeImage(image)}`);
		});
	}

	private verify(): void {
		this.withAllowed('verify', image => {
			this.say(`Verifying ${describeImage(image)}…`);
			this.manager.verify([image.id]).then(
				([result]) => {
					if (!result) return;
					if (result.outcome === 'ok') this.say(`Verified ${describeImage(image)}: the checksum matches`);
					else if (result.outcome === 'skipped') this.say(result.message ?? 'not verified', 'warn');
					else this.say(`${describeImage(image)}: ${result.message ?? result.outcome}`, 'error');
				},
				(error: unknown) => this.say(errorText(error), 'error'),
			);
		});
	}

	// ---- marks and bulk actions ----

	private markedImages(): Image[] {
		const {byId} = this.store.getSnapshot();
		return [...this.state.marked].map(id => byId.get(id)).filter((image): image is Image => image !== undefined);
	}

	/** With marks, `action` runs on every marked image (after one confirmation); without, on the selection. */
	private marksOr(action: BulkAction, single: () => void): void {
		if (this.state.marked.size > 0) this.bulk(action);
		else single();
	}

	private mark(): void {
		const row = this.selectedRow();
		if (!row) return;
		const marked = toggleMarks(this.state.marked, row);
		this.update({marked});
		this.move(1);
	}

	private collapseAll(): void {
		const keys = new Set<string>();
		for (const image of this.store.getSnapshot().images) keys.add(nameKey(image.name));
		this.update({collapsed: keys});
	}

	private retryFailed(): void {
		const failed = this.store.getSnapshot().images.filter(image => image.status === 'failed' || image.status === 'missing');
		if (failed.length === 0) {
			this.say('Nothing has failed: nothing to retry');
			return;
		}

		this.runBulk('retry', failed, 'every failed or missing image');
	}

	private bulk(action: BulkAction): void {
		this.runBulk(action, this.markedImages(), 'marked');
	}

	/** One confirmation naming how many, then the action on each; one message with the outcome. */
	private runBulk(action: BulkAction, images: Image[], what: string): void {
		const plan = planBulk(action, images);
		const [title, done] = VERBS[action];
		if (plan.targets.length === 0) {
			this.say(`${title}: none of the ${plural(images.length, 'image')} (${what}) can be — ${plan.why}`, 'warn');
			return;
		}

		const close = () => this.update({dialog: undefined});
		const run = () => {
			close();
			const jobs = plan.targets.map(image => {
				if (action === 'verify') return this.manager.verify([image.id]).then(([result]) => result?.outcome === 'ok' || result?.outcome === 'skipped');
				return (this.manager[action](image.id) as Promise<unknown>).then(() => true);
			});
			void Promise.allSettled(jobs).then(results => {
				const ok = results.filter(r => r.status === 'fulfilled' && r.value).length;
				const failed = results.length - ok;
				const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
				// Each promise settles on the reply of whoever runs the downloads: done means done.
				if (failed === 0) this.say(`${done} ${plural(ok, 'image')}`);
				else this.say(`${done} ${ok} of ${plural(results.length, 'image')}; ${failed} failed${first ? `: ${errorText(first.reason)}` : ''}`, 'error');
				if (action !== 'verify') this.update({marked: new Set()});
			});
		};

		this.update({dialog: bulkDialog(action, plan, what, {run, close})});
	}

	private copyPath(): void {
		this.withFile('copy the path of', image => {
			const file = absolutePath(this.options.imagesDir ?? '', image);
			this.options.writeTerminal?.(osc52(file));
			this.say(`Copied (if your terminal allows OSC 52): ${file}`);
		});
	}

	private scrollNotices(delta: number): void {
		const notices = this.state.notices;
		if (!notices) return;
		const max = Math.max(0, this.noticeLines - Math.max(1, this.layout.pageSize - 1));
		this.update({notices: {scroll: Math.max(0, Math.min(max, notices.scroll + delta))}});
	}

	private confirmCancel(): void {
		this.withAllowed('cancel', image => {
			const close = () => this.update({dialog: undefined});
			const cancel = () => {
				close();
				this.command(this.manager.cancel(image.id), `Cancelled ${describeImage(image)}`);
			};

			this.update({dialog: cancelDialog(image, {cancel, close})});
		});
	}

	private confirmRemove(): void {
		this.withAllowed('remove', image => {
			const close = () => this.update({dialog: undefined});
			const remove = () => {
				close();
				this.command(this.manager.remove(image.id), `Removed ${describeImage(image)}`);
			};

			this.update({dialog: removeDialog(image, {remove, close})});
		});
	}

	private updateForm<A extends unknown[]>(fn: (state: form.FormState, ...args: A) => form.FormState, ...args: A): void {
		if (!this.state.form) return;
		const before = this.state.form;
		const after = fn(before, ...args);
		this.update({form: after});
		// Leaving a checksum URL: look (HEAD) for the signature publishers put next to it; a proposal, never required.
		const probe = form.signatureProbeFor(before, after);
		if (probe) {
			const {clearSigned} = signatureCandidates(probe);
			const asked = clearSigned ? Promise.resolve(undefined) : this.manager.findSignatureUrl(probe);
			void asked.then(found => {
				if (this.state.form) this.update({form: form.withSignatureProbe(this.state.form, probe, found, clearSigned)});
			});
		}

		// Leaving the URL: ask its server what is there (reachable, size, the file name it gives), as Proxmox's
		// "Query URL" does; the answer shows under the URL and names a file the URL does not.
		const check = form.urlCheckFor(before, after);
		if (check) {
			this.update({form: form.withUrlCheckStarted(after, check)});
			void this.manager.queryUrl(check).then(result => {
				if (this.state.form) this.update({form: form.withUrlCheck(this.state.form, check, result)});
			});
		}
	}

	/** Esc on the form: close it, asking first when something was typed (that would be lost). */
	private cancelForm(): void {
		const state = this.state.form;
		if (!state || !(state.editing ? isChanged(state) : form.isFilled(state))) {
			this.update({form: undefined});
			return;
		}

		const back = () => this.update({dialog: undefined});
		const discard = () => this.update({dialog: undefined, form: undefined});
		this.update({dialog: discardDialog({discard, back})});
	}

	private submitForm(): void {
		const state = this.state.form;
		if (!state) return;
		if (state.editing) {
			this.submitEdit(state, state.editing.id);
			return;
		}

		this.settleForm(state, this.manager.add(form.toAddInput(state)), 'Added');
	}

	/** The library's answer to the form: close it and show the image, or show the refusal in the form. */
	private settleForm(state: form.FormState, answer: Promise<Image>, verb: string): void {
		answer.then(
			image => {
				this.update({form: undefined});
				this.reveal(image.id);
				this.say(`${verb} ${describeImage(image)}`);
			},
			(error: unknown) => {
				if (error instanceof DuplicateImageError) {
					this.offerDuplicate(error.existingId);
					return;
				}

				// The form as it is now (typing may have gone on while the library answered).
				this.update({form: form.withSubmitError(this.state.form ?? state, error)});
			},
		);
	}

	/** Only the changed fields go to the library; its refusal (the rules' reason, a bad field) shows in the form. */
	private submitEdit(state: form.FormState, id: string): void {
		let patch;
		try {
			patch = toEditPatch(state);
		} catch (error) {
			this.update({form: form.withSubmitError(state, error)});
			return;
		}

		if (Object.keys(patch).length === 0) {
			this.update({form: undefined});
			this.say('Nothing changed');
			return;
		}

		this.settleForm(state, this.manager.edit(id, patch), 'Saved');
	}

	// ---- statistics ----

	private readStats(): {stats: LibraryStats; trend: Trend} | undefined {
		try {
			return {stats: this.manager.stats(), trend: this.manager.trend('daily', 30)};
		} catch (error) {
			this.say(`The statistics could not be read: ${errorText(error)}`, 'error');
			return undefined;
		}
	}

	private openStats(): void {
		const stats = this.readStats();
		if (!stats) return;
		this.update({stats});
		clearInterval(this.statsTimer);
		this.statsTimer = setInterval(() => {
			if (!this.state.stats) return;
			const next = this.readStats();
			if (next) this.update({stats: next});
		}, STATS_REFRESH_MS);
		this.statsTimer.unref();
	}

	private closeStats(): void {
		clearInterval(this.statsTimer);
		this.statsTimer = undefined;
		this.update({stats: undefined});
	}

	private offerDuplicate(existingId: string): void {
		const existing = this.store.getSnapshot().byId.get(existingId) ?? this.manager.get(existingId);
		const back = () => this.update({dialog: undefined});
		const jump = () => {
			this.update({dialog: undefined, form: undefined});
			this.reveal(existingId);
		};

		this.update({dialog: duplicateDialog(existingId, existing, {jump, back})});
	}

	// ---- dialogs, help, quit ----

	private moveDialog(delta: number): void {
		const dialog = this.state.dialog;
		if (!dialog) return;
		const n = dialog.options.length;
		this.update({dialog: {...dialog, selected: (((dialog.selected + delta) % n) + n) % n}});
	}

	private pickLetter(text: string): boolean {
		const option = this.state.dialog?.options.find(o => o.letter === text.toLowerCase());
		if (!option) return false;
		option.run();
		return true;
	}

	private scrollHelp(delta: number): void {
		const help = this.state.help;
		if (!help) return;
		const max = Math.max(0, this.layout.helpLines - this.layout.pageSize);
		this.update({help: {scroll: Math.max(0, Math.min(max, help.scroll + delta))}});
	}

	private requestQuit(ctrlC: boolean): void {
		const now = this.now();
		if (this.state.quitting) {
			// Quitting already: another Ctrl-C asks not to wait any longer.
			if (ctrlC) this.options.onQuit('force');
			return;
		}

		if (ctrlC && (this.state.dialog?.kind === 'quit' || now - this.lastCtrlC < 1000)) {
			this.finish('force');
			return;
		}

		if (ctrlC) this.lastCtrlC = now;
		const active = this.manager.activeCount();
		if (active === 0) {
			this.finish('plain');
			return;
		}

		const stay = () => this.update({dialog: undefined});
		const background = this.options.canBackground ? () => this.finish('background') : undefined;
		this.update({dialog: quitDialog(active, {background, pause: () => this.finish('pause'), stay})});
	}

	private finish(choice: QuitChoice): void {
		const text = {plain: 'Quitting…', force: 'Stopping downloads…', pause: 'Pausing downloads…', background: 'Handing the downloads to a background daemon…'}[choice];
		this.setQuitting(text);
		this.options.onQuit(choice);
	}
}

/** A limit as the user would type it back: 20971520 → "20M", 1536 → "1536". */
function rateText(rate: number): string {
	for (const [suffix, unit] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
		if (rate % unit === 0) return `${rate / unit}${suffix}`;
	}

	return String(rate);
}
