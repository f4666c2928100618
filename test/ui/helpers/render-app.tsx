/**
 * Renders the real App over a real Manager (SQLite in a temp dir) with ink-testing-library, giving its fake stdout
 * a size, and waits for frames by polling (no sleeps).
 */
import {render} from 'ink-testing-library';
import {afterEach} from 'vitest';
import type {Config} from '../../../source/config.js';
import {Manager} from '../../../source/core/manager.js';
import {silentLogger} from '../../../source/core/log.js';
import {App} from '../../../source/ui/app.js';
import {UiController, type ControllerOptions, type QuitChoice} from '../../../source/ui/controller.js';
import {LibraryStore} from '../../../source/ui/store.js';
import {installInkRowCache} from '../../../source/ui/ink-row-cache.js';
import {createTheme} from '../../../source/ui/theme.js';
import {tempLibrary, type TempLibrary} from '../../support/library.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;
export const stripAnsi = (text: string) => text.replace(ANSI, '');

export type Harness = {
	manager: Manager;
	store: LibraryStore;
	controller: UiController;
	library: TempLibrary;
	quits: QuitChoice[];
	/** The last frame without escape codes. */
	frame(): string;
	/** The last frame as written (with escape codes). */
	rawFrame(): string;
	/** The line holding the selection marker. */
	selectedLine(): string | undefined;
	press(data: string): Promise<void>;
	waitFor(check: (frame: string) => boolean, what?: string, timeoutMs?: number): Promise<string>;
	resize(columns: number, rows: number): void;
	cleanup(): Promise<void>;
};

export type HarnessOptions = {
	columns?: number;
	rows?: number;
	color?: boolean;
	ascii?: boolean;
	/** Fill the library before the store reads it. */
	seed?: (manager: Manager) => void;
	config?: Record<string, unknown>;
	/** Extra controller options (writeTerminal, notify). */
	controller?: Partial<ControllerOptions>;
};

// The App's frames are drawn as the TUI draws them: through the row cache.
installInkRowCache();

const tick = () => new Promise<void>(resolve => setImmediate(resolve));

export async function renderApp(options: HarnessOptions = {}): Promise<Harness> {
	const library = tempLibrary(options.config);
	const config: Config = library.config;
	const manager = new Manager({config, log: silentLogger});
	options.seed?.(manager);
	const store = new LibraryStore(manager, {maxPerSecond: 50});
	const quits: QuitChoice[] = [];
	const controller = new UiController({manager, store, onQuit: choice => quits.push(choice), canBackground: true, imagesDir: config.imagesDir, ...options.controller});
	const theme = createTheme({color: options.color ?? true, ascii: options.ascii ?? false});
	const instance = render(<App controller={controller} store={store} manager={manager} dataDir={config.dataDir} imagesDir={config.imagesDir} limits={{concurrency: config.concurrency, perHost: config.perHost}} ui={{spinners: false}} theme={theme} />);
	const stdout = instance.stdout as unknown as NodeJS.EventEmitter & {columns: number; rows: number};
	const resize = (columns: number, rows: number) => {
		Object.defineProperty(stdout, 'columns', {value: columns, configurable: true});
		Object.defineProperty(stdout, 'rows', {value: rows, configurable: true});
		stdout.emit('resize');
	};

	resize(options.columns ?? 100, options.rows ?? 30);
	const rawFrame = () => instance.lastFrame() ?? '';
	const frame = () => stripAnsi(rawFrame());
	const waitFor = async (check: (frame: string) => boolean, what = 'a frame', timeoutMs = 5000) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const current = frame();
			if (check(current)) return current;
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${current}`);
			await tick();
			await new Promise(resolve => setTimeout(resolve, 0));
		}
	};

	// The first frame at the requested size, and the input subscription in place.
	await waitFor(f => f.includes('isoman'), 'the first frame');
	await tick();
	return {
		manager,
		store,
		controller,
		library,
		quits,
		frame,
		rawFrame,
		selectedLine: () => frame().split('\n').find(line => line.startsWith(theme.glyphs.selected)),
		async press(data: string) {
			await tick();
			instance.stdin.write(data);
			await tick();
		},
		waitFor,
		resize,
		async cleanup() {
			instance.unmount();
			controller.dispose();
			store.close();
			await manager.close();
			library.cleanup();
		},
	};
}

/** The text after a field's label in the add form. */
export const formField = (frame: string, label: string) => frame.split('\n').find(line => new RegExp(`^│ [› ] ${label}\\s`).test(line)) ?? '';
/** The line right under a form field (where its error or note goes). */
export const underField = (frame: string, label: string) => {
	const lines = frame.split('\n');
	return lines[lines.findIndex(line => new RegExp(`^│ [› ] ${label}\\s`).test(line)) + 1] ?? '';
};

export const KEYS = {
	up: '\x1b[A',
	down: '\x1b[B',
	right: '\x1b[C',
	left: '\x1b[D',
	home: '\x1b[H',
	end: '\x1b[F',
	pageUp: '\x1b[5~',
	pageDown: '\x1b[6~',
	enter: '\r',
	escape: '\x1b',
	tab: '\t',
	backspace: '\x7f',
	delete: '\x1b[3~',
	f1: '\x1bOP',
	ctrlC: '\x03',
	ctrlU: '\x15',
} as const;

/** A URL on a closed port (nothing is downloaded: the manager is not started). */
export const url = (file: string) => `http://127.0.0.1:9/x/${file}`;

/** Renders the app for one test at a time and cleans up after each test: `const render = appPerTest();`. */
export function appPerTest(): (options?: HarnessOptions) => Promise<Harness> {
	let current: Harness | undefined;
	afterEach(async () => {
		await current?.cleanup();
		current = undefined;
	});
	return async (options = {}) => {
		current = await renderApp(options);
		return current;
	};
}

/** A seed that adds one image per file name (served from nowhere: nothing downloads). */
export const seedFiles =
	(...files: string[]) =>
	(manager: Harness['manager']): void => {
		for (const file of files) manager.addNow({url: url(file)});
	};
