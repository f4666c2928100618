/**
 * Entry point of the full-screen TUI (called by cli.tsx with an opened library).
 *
 * Ink, React and everything that imports them are loaded here dynamically, AFTER `CI`/`CONTINUOUS_INTEGRATION`
 * are cleared: Ink 6 reads `is-in-ci` once at import (and then renders only the last frame and ignores resizes),
 * and chalk decides colour support at import (`CI` without a known vendor → no colours, no inverse). This runs only
 * with a TTY on both ends, so the TUI is interactive even when a CI runner drives it through tmux.
 *
 * Every exit path restores the terminal: q / Ctrl-C (through the quit flow), SIGTERM, SIGHUP, SIGINT, an
 * uncaught exception or unhandled rejection (terminal restored first, then the error printed), and `process.exit`.
 * The manager is stopped (active downloads return to `pending` with their .part) but not closed: the caller closes it.
 *
 * Output: Ink renders in debug mode into a FrameWriter, which writes only the changed lines at most `maxFps` times
 * a second (Ink 6.8's own `incrementalRendering` misplaces frames shorter than the terminal: see frame-writer.ts).
 */
import type {Config} from '../config.js';
import {displayLines, type Library, type Logger} from '../core/index.js';
import type {QuitChoice} from './controller.js';
import {FrameWriter} from './frame-writer.js';
import {createScreen} from './terminal.js';
import {uiOptionsFrom} from './ui-options.js';

export type RunTuiOptions = {
	manager: Library;
	config: Config;
	log: Logger;
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
	/** Start `isoman --daemon` detached for this library after the TUI has released it. */
	startBackgroundDaemon?: () => Promise<number>;
	/** Called after the manager was stopped, before the background daemon is started: releases the library lock. */
	releaseLibrary?: () => Promise<void>;
	/**
	 * `--listen`: start the HTTP server on the library this process owns (once recovery has run, or once it has taken
	 * the library over); resolves to its URL, rejects with why it cannot serve (the downloads go on without it).
	 */
	serve?: (manager: Library) => Promise<string>;
	/**
	 * Close that server. On a hand-off it is called before the library is released, so the background daemon, which
	 * binds the same address, never finds it taken. Idempotent.
	 */
	stopServing?: () => Promise<void>;
	/** Who holds the library when this process does not (shown in the header). */
	holder?: {role: string; pid: number};
	/**
	 * Client only: the process that ran the downloads has gone. Take the library over (this process becomes the
	 * owner and starts the downloads) and return the new owner manager, or undefined when another process holds it
	 * now. `retire` closes the old client once the screen shows the new manager.
	 */
	takeOver?: () => Promise<{manager: Library; retire: () => Promise<void>; ready?: Promise<unknown>} | undefined>;
	/**
	 * Called once the first frame is on the screen (the CLI runs recovery and starts downloads then); the server
	 * starts when what it returns has settled.
	 */
	onStarted?: () => void | Promise<void>;
};

/** The TUI needs a terminal on both ends (the CLI says so and exits 2 otherwise). */
export function isInteractive(stdin: {isTTY?: boolean} = process.stdin, stdout: {isTTY?: boolean} = process.stdout): boolean {
	return Boolean(stdin.isTTY) && Boolean(stdout.isTTY);
}

const STOP_TIMEOUT_MS = 5000;

/** Clear what makes Ink/chalk non-interactive or hang at import/render; returns a function putting it back. */
function prepareInkEnvironment(env: NodeJS.ProcessEnv): () => void {
	const saved: Record<string, string | undefined> = {};
	for (const key of ['CI', 'CONTINUOUS_INTEGRATION', 'DEV']) {
		if (key === 'DEV' && env[key] !== 'true') continue;
		saved[key] = env[key];
		delete env[key];
	}

	return () => {
		for (const [key, value] of Object.entries(saved)) if (value !== undefined) env[key] = value;
	};
}

function withTimeout(promise: Promise<unknown>, ms: number, giveUp?: Promise<void>): Promise<void> {
	return new Promise(resolve => {
		const timer = setTimeout(resolve, ms);
		timer.unref();
		const done = () => {
			clearTimeout(timer);
			resolve();
		};

		promise.then(done, done);
		giveUp?.then(done, done);
	});
}

const describeError = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

export async function runTui(options: RunTuiOptions): Promise<number> {
	const {config, log} = options;
	// Replaced when an attached TUI takes the library over from a daemon that stopped.
	let {manager} = options;
	let holder = options.holder;
	const stdin = options.stdin ?? process.stdin;
	const stdout = options.stdout ?? process.stdout;
	const ui = uiOptionsFrom(config, process.env);

	const restoreEnvironment = prepareInkEnvironment(process.env);
	let modules;
	try {
		modules = await Promise.all([import('ink'), import('./app.js'), import('./controller.js'), import('./store.js'), import('./theme.js'), import('./ink-row-cache.js')]);
	} catch (error) {
		restoreEnvironment();
		throw error;
	}

	const [{render}, {App}, {UiController}, {LibraryStore}, {createTheme}, {installInkRowCache}] = modules;
	installInkRowCache();
	const storeOptions = {maxPerSecond: ui.snapshotsPerSecond, progressPerSecond: ui.progressPerSecond};
	let store = new LibraryStore(manager, storeOptions);
	const theme = createTheme(ui);
	const screen = createScreen(stdout);
	const writer = new FrameWriter(stdout, {maxFps: ui.maxFps});

	let resolveExit!: (code: number) => void;
	const exited = new Promise<number>(resolve => {
		resolveExit = resolve;
	});
	let instance: ReturnType<typeof render> | undefined;
	let tornDown = false;
	let ended = false;
	let hurry!: () => void;
	const hurried = new Promise<void>(resolve => {
		hurry = resolve;
	});

	const teardown = () => {
		if (tornDown) return;
		tornDown = true;
		try {
			instance?.unmount();
		} catch (error) {
			log.warn('tui.unmount_failed', {error});
		}

		writer.close();
		screen.leave();
		controller.dispose();
		store.close();
	};

	const end = (code: number, after?: {text: string; stream: 'stdout' | 'stderr'}) => {
		if (ended) return;
		ended = true;
		teardown();
		if (after) {
			try {
				(after.stream === 'stdout' ? process.stdout : process.stderr).write(displayLines(after.text) + '\n');
			} catch {
				// The terminal went away meanwhile: the log has it.
			}
		}

		stdin.off('end', onStdinEnd);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
		process.off('SIGINT', onSignal);
		process.off('uncaughtException', onFatal);
		process.off('unhandledRejection', onFatal);
		resolveExit(code);
	};

	let quitting = false;
	/** The server's start, when one was asked for (never rejects: a failure is on the banner). */
	let serveAttempt: Promise<void> | undefined;
	const startServing = (owner: Library) => {
		if (!options.serve || quitting || serveAttempt) return;
		serveAttempt = options.serve(owner).then(
			url => log.info('tui.serving', {url}),
			(error: unknown) => {
				const where = config.listen ? ` on ${config.listen.host}:${config.listen.port}` : '';
				const code = (error as NodeJS.ErrnoException).code;
				const reason = code === 'EADDRINUSE' ? 'the port is in use (EADDRINUSE)' : error instanceof Error ? error.message : String(error);
				log.error('tui.listen_failed', {error});
				controller.setBanner(`Cannot serve${where}: ${reason}; downloads go on without it.`);
			},
		);
	};

	const stopServing = async () => {
		await serveAttempt;
		await options.stopServing?.().catch((error: unknown) => log.warn('tui.serve_close_failed', {error}));
	};

	/** Set when the terminal went away (SIGHUP, EIO): nothing more is written to it. */
	let terminalGone = false;
	const quit = async (choice: QuitChoice, reason = 'quit dialog') => {
		if (quitting) {
			if (choice === 'force') hurry();
			return;
		}

		quitting = true;
		log.info('tui.quit', {choice});
		try {
			if (choice === 'pause') {
				for (const image of manager.list()) {
					if (image.status !== 'downloading') continue;
					await withTimeout(manager.pause(image.id).catch((error: unknown) => log.warn('tui.pause_failed', {id: image.id, error})), STOP_TIMEOUT_MS, hurried);
				}
			}

			await withTimeout(manager.stop(), STOP_TIMEOUT_MS, hurried);
			// The server closes first: a background daemon binds the same address as soon as it has the library.
			await withTimeout(stopServing(), STOP_TIMEOUT_MS, hurried);
			if (choice !== 'background' || !options.startBackgroundDaemon) {
				end(0);
				return;
			}

			teardown();
			await options.releaseLibrary?.();
			const pid = await options.startBackgroundDaemon();
			const text = `isoman: downloads continue in the background (daemon pid ${pid}${config.listen ? ', still serving HTTP' : ', exits when the queue is done'}); run isoman to watch them, isoman stop to stop it.`;
			log.info('tui.handed_off', {daemon_pid: pid, reason, message: text});
			end(0, terminalGone ? undefined : {text, stream: 'stdout'});
		} catch (error) {
			log.error('tui.quit_failed', {choice, error});
			end(1, {text: `isoman: ${error instanceof Error ? error.message : String(error)}`, stream: 'stderr'});
		}
	};

	const makeController = () =>
		new UiController({
			manager,
			store,
			canBackground: Boolean(options.startBackgroundDaemon) && manager.daemonPid === undefined,
			onQuit: choice => void quit(choice),
			onInput: () => writer.expedite(),
			imagesDir: config.imagesDir,
			notify: config.notify,
			// Between frames, straight to the terminal (OSC 52, the bell, OSC 9): nothing visible is drawn by them.
			writeTerminal(sequence) {
				if (terminalGone) return;
				try {
					stdout.write(sequence);
				} catch {}
			},
		});
	let controller = makeController();
	const app = () => (
		<App
			controller={controller}
			store={store}
			manager={manager}
			dataDir={config.dataDir}
			imagesDir={config.imagesDir}
			holder={holder}
			limits={{concurrency: config.concurrency, perHost: config.perHost}}
			ui={ui}
			theme={theme}
		/>
	);

	/**
	 * The daemon this TUI was attached to stopped: within a second (the client's 250 ms sync notices it) take the
	 * library over and run the downloads here, or, when another process holds it already, say so on a line that
	 * stays.
	 */
	let takingOver = false;
	const onOwnerGone = (pid: number) => {
		if (takingOver || quitting || !options.takeOver) return;
		takingOver = true;
		log.warn('tui.owner_gone', {pid});
		options.takeOver().then(
			async taken => {
				if (!taken) {
					controller.setBanner(`The daemon (pid ${pid}) has stopped and another isoman holds the library now: quit and start isoman again to follow it.`);
					return;
				}

				const old = {store, controller, manager};
				old.manager.off('ownerGone', onOwnerGone);
				manager = taken.manager;
				holder = undefined;
				store = new LibraryStore(manager, storeOptions);
				controller = makeController();
				controller.setBanner(`The daemon (pid ${pid}) stopped; this TUI runs the downloads now (q offers to keep them going in the background).`, 'warn');
				instance?.rerender(app());
				old.controller.dispose();
				old.store.close();
				await taken.retire();
				log.info('tui.took_over', {from_pid: pid});
				await taken.ready;
				startServing(manager);
			},
			(error: unknown) => {
				log.error('tui.take_over_failed', {pid, error});
				controller.setBanner(`The daemon (pid ${pid}) has stopped; taking over failed (${error instanceof Error ? error.message : String(error)}): quit and start isoman again.`);
			},
		);
	};

	manager.on('ownerGone', onOwnerGone);

	/** Whether anything is queued or running that a background daemon should carry on with. */
	const hasWork = () => manager.list().some(image => image.status === 'pending' || image.status === 'downloading' || image.status === 'verifying');

	/**
	 * The terminal is gone (SSH dropped: SIGHUP; or reads/writes fail): when this process runs the downloads and
	 * any are queued or running, hand them to a background daemon exactly as the quit dialog's "background" choice
	 * does (the .part files are kept and resumed from their offsets); otherwise just stop.
	 */
	const onTerminalGone = (why: string) => {
		if (terminalGone) return;
		terminalGone = true;
		const handOff = manager.daemonPid === undefined && Boolean(options.startBackgroundDaemon) && hasWork();
		log.warn('tui.terminal_gone', {why, hand_off: handOff});
		if (quitting) {
			hurry();
			return;
		}

		if (handOff) {
			void quit('background', why);
			return;
		}

		quitting = true;
		teardown();
		void withTimeout(manager.stop(), STOP_TIMEOUT_MS).then(() => end(0));
	};

	const onSignal = (signal: NodeJS.Signals) => {
		log.info('tui.signal', {signal});
		if (signal === 'SIGHUP') {
			onTerminalGone('SIGHUP');
			return;
		}

		if (quitting) {
			hurry();
			return;
		}

		quitting = true;
		teardown();
		void withTimeout(manager.stop(), STOP_TIMEOUT_MS).then(() => end(0));
	};

	let fatal = false;
	const onFatal = (error: unknown) => {
		if (fatal) return;
		fatal = true;
		log.error('tui.crashed', {error});
		teardown();
		process.stderr.write(`isoman: ${displayLines(describeError(error))}\n`);
		void withTimeout(manager.stop(), STOP_TIMEOUT_MS).then(() => end(1));
	};

	// A terminal that went away without a SIGHUP: stdin ends, or writes fail with EIO/EPIPE.
	const onStdinEnd = () => onTerminalGone('stdin closed');
	const onOutputError = (error: NodeJS.ErrnoException) => onTerminalGone(`terminal write failed: ${error.code ?? error.message}`);
	stdin.on('end', onStdinEnd);
	stdout.on('error', onOutputError);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	process.on('SIGINT', onSignal);
	process.on('uncaughtException', onFatal);
	process.on('unhandledRejection', onFatal);

	screen.enter();
	try {
		instance = render(app(), {
			stdin,
			stdout: writer.stream as unknown as NodeJS.WriteStream,
			stderr: process.stderr,
			// Every commit hands the whole frame to the writer, which diffs and throttles (maxFps) it.
			debug: true,
			exitOnCtrlC: false,
			patchConsole: false,
		});
	} catch (error) {
		onFatal(error);
		return exited;
	} finally {
		restoreEnvironment();
	}

	setTimeout(() => {
		void Promise.resolve(options.onStarted?.()).then(() => {
			// Only the process that owns the library serves it (an attached TUI shows where its daemon serves).
			if (manager.daemonPid === undefined) startServing(manager);
		});
	}, 0);
	// A render error inside React ends Ink with an error: same path as an uncaught exception.
	instance.waitUntilExit().then(
		() => {
			if (!tornDown) end(0);
		},
		(error: unknown) => onFatal(error),
	);
	return exited;
}
