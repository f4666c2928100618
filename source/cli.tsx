#!/usr/bin/env node
/**
 * argv (argv.ts) → one of: the TUI, `--daemon`, a subcommand. Nothing else lives here.
 * Ink and React are loaded only on the TUI path (dynamic import), so the daemon and commands never load them.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ArgvError, parseArgv} from './argv.js';
import {ConfigError, loadConfig, settingFlags, settingsFromArgv, type Config} from './config.js';
import {COMMANDS, commandHelp, mainHelp} from './commands/spec.js';
import {createLogger, DataDirError, displayLines, fileSink, IsomanError, noLibraryError, openLibrary, prepareDataDir, type Logger, type LogSink} from './core/index.js';
import {startBackgroundDaemon} from './daemon/hand-off.js';
import type {Serving} from './daemon/serve.js';
import {VERSION} from './version.js';

/** A flag given twice (`--name a --name b`) is invalid input (exit 2), not a crash. */
function parseCommandLine(spec: typeof FLAGS) {
	try {
		return parseArgv(process.argv.slice(2), spec);
	} catch (error) {
		if (!(error instanceof ArgvError)) throw error;
		process.stderr.write(`isoman: ${displayLines(error.message)} (see isoman --help)\n`);
		process.exit(2);
	}
}

const FLAGS = {
	help: {type: 'boolean', shortFlag: 'h'},
	// `--version` alone prints isoman's version; `add --version V` is the image's version.
	version: {type: 'string'},
	daemon: {type: 'boolean'},
	exitWhenIdle: {type: 'boolean'},
	...settingFlags(),
	json: {type: 'boolean'},
	name: {type: 'string'},
	arch: {type: 'string'},
	edition: {type: 'string'},
	checksumUrl: {type: 'string'},
	checksum: {type: 'string'},
	checksumType: {type: 'string'},
	move: {type: 'boolean'},
	dryRun: {type: 'boolean'},
	url: {type: 'string'},
	apiToken: {type: 'string'},
	auth: {type: 'string'},
	webRoot: {type: 'string'},
	force: {type: 'boolean'},
	signatureUrl: {type: 'string'},
	key: {type: 'string'},
	type: {type: 'string'},
} as const;

// Unknown flags are checked below (unknownFlag), so that the error is one line in isoman's words. A boolean flag not
// given stays undefined, so the ISOMAN_* variable (or the default) applies to it.
const cli = parseCommandLine(FLAGS);
// What `ps` and `top` show (as when meow parsed the command line).
process.title = 'isoman';

const flags = cli.flags;

// A reader that went away (`isoman --daemon | head -1`, `isoman list | head`) makes writes fail with EPIPE: the
// output is dropped and the work goes on (the daemon keeps downloading; its log still has every line).
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/** Every line isoman writes to stderr: passwords in URLs as ***, no control or bidi character raw. */
const printError = (text: string) => process.stderr.write(displayLines(text) + '\n');
const [command, ...args] = cli.input;

/** Flags that belong to some commands only (the global settings and --help apply everywhere). */
const COMMAND_FLAGS = ['json', 'name', 'version', 'arch', 'edition', 'checksumUrl', 'checksum', 'checksumType', 'move', 'dryRun', 'url', 'force', 'signatureUrl', 'key', 'type'] as const;
const kebab = (key: string) => `--${key.replaceAll(/[A-Z]/g, c => '-' + c.toLowerCase())}`;

/** A flag given where it means nothing is an error (exit 2), not silently ignored. */
function misplacedFlag(): string | undefined {
	if (command === undefined) {
		if (flags.exitWhenIdle && !flags.daemon) return '--exit-when-idle needs --daemon';
		const stray = COMMAND_FLAGS.find(key => flags[key] !== undefined);
		return stray ? `${kebab(stray)} is a flag of a subcommand (see isoman --help)` : undefined;
	}

	if (flags.daemon || flags.exitWhenIdle) return `${flags.daemon ? '--daemon' : '--exit-when-idle'} takes no subcommand (got "${command}")`;
	const spec = COMMANDS[command]!;
	const stray = COMMAND_FLAGS.find(key => flags[key] !== undefined && !spec.flags.some(f => f.flag === kebab(key)));
	return stray ? `${kebab(stray)} is not a flag of ${command} (see isoman ${command} --help)` : undefined;
}

/** The first `--flag` (or `-x`) in argv that is none of ours, if any (values after `--flag` are not flags). */
function unknownFlag(argv: string[]): string | undefined {
	const known = new Set(['--help', '-h', ...Object.keys(FLAGS).map(kebab)]);
	for (const arg of argv) {
		if (arg === '--') break;
		if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
		const name = arg.split('=')[0]!;
		if (known.has(name) || (name.startsWith('--no-') && known.has(`--${name.slice(5)}`))) continue;
		return name;
	}

	return undefined;
}

async function main(): Promise<number> {
	const unknown = unknownFlag(process.argv.slice(2));
	if (unknown) {
		printError(`isoman: unknown flag ${unknown}; see isoman --help`);
		return 2;
	}

	// `isoman help [command]` is `isoman [command] --help`.
	if (command === 'help') {
		const topic = args[0];
		if (topic !== undefined && !(topic in COMMANDS)) {
			printError(`isoman: unknown command "${topic}"; see isoman --help`);
			return 2;
		}

		process.stdout.write(topic ? commandHelp(topic) : mainHelp());
		return 0;
	}

	if (command !== undefined && !(command in COMMANDS)) {
		printError(`isoman: unknown command "${command}"; see isoman --help`);
		return 2;
	}

	if (flags.help) {
		process.stdout.write(command ? commandHelp(command) : mainHelp());
		return 0;
	}

	if (command === undefined && flags.version !== undefined && !flags.daemon) {
		process.stdout.write(`${VERSION}\n`);
		return 0;
	}

	const misplaced = misplacedFlag();
	if (misplaced) {
		printError(`isoman: ${misplaced}`);
		return 2;
	}

	let config: Config;
	try {
		// `add --max-rate` is the new image's own limit, not the global one.
		config = loadConfig(settingsFromArgv(command === 'add' ? {...flags, maxRate: undefined} : flags));
	} catch (error) {
		if (error instanceof ConfigError) {
			printError(`isoman: ${error.message}`);
			return 2;
		}

		throw error;
	}

	if (command === 'import') {
		// A dry run writes nothing at all, not even the library's directory or its log.
		if (!flags.dryRun) fs.mkdirSync(config.dataDir, {recursive: true});
		const log = createLogger({level: config.logLevel, format: config.logFormat, sink: flags.dryRun ? () => {} : fileSink(config.logPath)});
		const {runImport} = await import('./commands/import.js');
		return runImport(args, {move: flags.move, dryRun: flags.dryRun, json: flags.json}, config, log, {
			out: text => process.stdout.write(text + '\n'),
			err: printError,
			progress: {write: text => process.stderr.write(text), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns},
			ascii: config.ascii,
		});
	}

	// Only the TUI, the daemon, `add`, `import` and `key add` (a publisher's key comes before its images) may start
	// a library; `unlock` and `key` act on the lock file and the keyring alone; every other command needs a
	// library there already.
	try {
		const databaseFile = path.basename(config.dbPath);
		const creates = flags.daemon === true || command === undefined || command === 'add' || command === 'import' || (command === 'key' && args[0] === 'add');
		const catalogued = prepareDataDir(config.dataDir, {create: creates, databaseFile, links: [config.dbPath, config.logPath, config.imagesDir, config.tmpDir]});
		if (!catalogued && command !== 'unlock' && command !== 'key') {
			// A directory without a catalogue is an empty library: `list` says so; nothing is created in it.
			if (command === 'status' || command === 'stop') {
				// Nothing can hold a library that is not there.
				process.stdout.write(command === 'stop' ? `nothing to stop: no daemon holds ${displayLines(config.dataDir)}\n` : `nothing holds ${displayLines(config.dataDir)}: there is no library there yet\n`);
				return command === 'stop' ? 0 : 1;
			}

			if (command !== 'list') throw noLibraryError(config.dataDir, databaseFile);
			process.stdout.write(flags.json ? '[]\n' : 'The library is empty: isoman add <url>\n');
			return 0;
		}
	} catch (error) {
		if (!(error instanceof DataDirError)) throw error;
		process.stderr.write(`isoman: ${displayLines(error.message)}\n`);
		return 2;
	}

	let sink: LogSink;
	try {
		sink = fileSink(config.logPath);
	} catch (error) {
		// A data dir this user cannot write: a command still runs (and says so when the catalogue cannot be opened);
		// a link at the log's name stays refused.
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
		sink = () => undefined;
	}

	const log = createLogger({level: config.logLevel, format: config.logFormat, sink});
	fatalLog = log;
	fatalDbPath = config.dbPath;

	if (flags.daemon) {
		const {runDaemon} = await import('./daemon/run-daemon.js');
		return runDaemon({config, log, exitWhenIdle: flags.exitWhenIdle});
	}

	if (command !== undefined) {
		const {runCommand} = await import('./commands/run-command.js');
		return runCommand(command, args, {...flags, version: flags.version, maxRate: command === 'add' ? (flags.maxRate as string | undefined) : undefined}, config, log, {
			// Everything a command prints passes here: no control or bidi character reaches the terminal raw.
			out: text => process.stdout.write(displayLines(text) + '\n'),
			err: printError,
		});
	}

	if (!process.stdin.isTTY || !process.stdout.isTTY) {
		process.stderr.write('isoman: the TUI needs a terminal (stdin and stdout must be a TTY); use `isoman --daemon` or a subcommand (isoman --help)\n');
		return 2;
	}

	// The first frame comes before recovery (which visits every row and file: ~0.3 s per 10,000 images);
	// nothing downloads until recovery has run.
	// The TUI's transfers run on a thread of their own, so that keys answer during full-speed downloads.
	let library = await openLibrary(config, log, 'tui', {
		deferRecovery: true,
		transferThread: true,
		onWait: holder => printError(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`),
	});
	library.library.watch(250);
	// React's production build: its development build costs CPU on every frame.
	process.env['NODE_ENV'] ??= 'production';
	const {runTui} = await import('./ui/run-tui.js');
	// The daemon it hands off to starts as `isoman` does (bin.ts), so that its young generation stays small too.
	const cliPath = fileURLToPath(new URL('bin.js', import.meta.url));
	// `--listen`: the TUI serves the library while it owns it, as the daemon does (closed before a hand-off).
	let serving: Serving | undefined;
	const stopServing = async () => {
		const open = serving;
		serving = undefined;
		await open?.close();
	};

	return runTui({
		manager: library.library,
		config,
		log,
		holder: library.holder,
		releaseLibrary: async () => library.close(),
		serve: config.listen
			? async manager => {
				const {serveLibrary} = await import('./daemon/serve.js');
				serving = await serveLibrary(manager, config, log);
				return serving.url;
			}
			: undefined,
		stopServing,
		async takeOver() {
			const client = library;
			let owned;
			try {
				owned = await openLibrary(config, log, 'tui', {requireOwner: true, deferRecovery: true, waitForCommandMs: 2000, transferThread: true});
			} catch (error) {
				if (error instanceof Error && error.name === 'LockHeldError') return undefined;
				throw error;
			}

			library = owned;
			owned.library.watch(250);
			const ready = owned.recoverAndStart?.().catch((error: unknown) => {
				log.error('recovery.failed', {error});
				owned.library.notify({level: 'error', message: `recovery failed: ${error instanceof Error ? error.message : String(error)}; downloads are not running`});
			});
			return {manager: owned.library, retire: async () => client.close(), ready};
		},
		async onStarted() {
			await library.recoverAndStart?.().catch((error: unknown) => {
				log.error('recovery.failed', {error});
				library.library.notify({level: 'error', message: `recovery failed: ${error instanceof Error ? error.message : String(error)}; downloads are not running`});
			});
		},
		async startBackgroundDaemon() {
			return startBackgroundDaemon(config, cliPath);
		},
	}).finally(async () => {
		await stopServing().catch((error: unknown) => log.warn('http.close_failed', {error}));
		await library.close();
	});
}

/** The log, once open: an unexpected error's stack goes there, not to the terminal. */
let fatalLog: Logger | undefined;
let fatalDbPath: string | undefined;

/** What a person reads when isoman stops on an error: the message (isoman's own errors say what to do), no stack. */
function fatalMessage(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const errno = (error as NodeJS.ErrnoException).code;
	if (error instanceof IsomanError || error.name === 'SchemaTooNewError' || error.name === 'LockHeldError') return error.message;
	if (typeof errno === 'string' && /^SQLITE_(READONLY|CANTOPEN|IOERR|FULL)/.test(errno)) {
		return `the catalogue ${fatalDbPath ?? ''} cannot be written (${errno}: ${error.message}): the data dir must be writable by this user, and its disk not full`;
	}

	if (typeof errno === 'string') return `${error.message}`;
	return `unexpected error: ${error.message}${fatalLog ? ' (the details are in the log)' : ''}`;
}

main().then(
	code => {
		process.exitCode = code;
		// Exit even if a stray handle would keep the process up (never while work is still being flushed: 1 s).
		setTimeout(() => process.exit(code), 1000).unref();
	},
	(error: unknown) => {
		fatalLog?.error('fatal', {error, stack: error instanceof Error ? error.stack : undefined});
		printError(`isoman: ${fatalMessage(error)}`);
		process.exitCode = 1;
		// An open catalogue or timer must not keep a failed run alive.
		setTimeout(() => process.exit(1), 1000).unref();
	},
);
