/**
 * Helpers for tests of the built CLI (`node dist/cli.js`) as a real child process: one-shot commands, and a
 * daemon whose NDJSON stdout is read line by line so tests await specific lines instead of sleeping.
 * `npm test` builds dist/ first; run `npx tsc -p tsconfig.json` before running these alone.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {loadConfig} from '../../source/config.js';
import type {AddInput} from '../../source/core/add-input.js';
import {imageToJson} from '../../source/core/image-json.js';
import {silentLogger} from '../../source/core/log.js';
import {Manager} from '../../source/core/manager.js';
import {afterEach} from 'vitest';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {KiB, MiB} from '../support/sizes.js';
export {KiB, MiB} from '../support/sizes.js';

/**
 * The catalogue read and written in this process, for setting a scene or checking rows without the cost of a
 * child process (the CLI's own output is tested where it is the subject).
 */
export function inProcess(dir: string) {
	const config = loadConfig({dataDir: dir}, {});
	const withManager = async <T>(fn: (manager: Manager) => T | Promise<T>): Promise<T> => {
		const manager = new Manager({config, log: silentLogger});
		try {
			return await fn(manager);
		} finally {
			await manager.close();
		}
	};

	return {
		config,
		/** Add an image (as `isoman add` would); returns its id. */
		add: async (input: AddInput) => withManager(manager => manager.addNow(input).id),
		/** Every image as `list --json` prints it. */
		images: async () => withManager(manager => manager.list().map(imageToJson) as ImageJson[]),
		image: async (id: string) => withManager(manager => {
			const image = manager.get(id);
			return image && (imageToJson(image) as ImageJson);
		}),
	};
}

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
export const CLI = path.join(DIST, 'cli.js');

if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);

/** The environment of every child: ours without the ISOMAN_ variables and NO_COLOR, plus fast retries. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ISOMAN_') && k !== 'NO_COLOR') env[k] = v;
	return {...env, ISOMAN_RETRY_BASE_MS: '50', ISOMAN_RETRY_MAX_MS: '500', ...extra};
}

export type CliResult = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number};

const children = new Set<ChildProcess>();

export type RunningCli = {
	/** Resolves once the process has exited. */
	result: Promise<CliResult>;
	/** Resolves when stderr so far matches `pattern` (rejects if the process exits first). */
	stderrMatches(pattern: RegExp): Promise<void>;
};

/** Start `isoman <args>`; see `runCli` to just run it. */
export function startCli(args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}): RunningCli {
	const started = Date.now();
	const child = spawn(process.execPath, [CLI, ...args], {env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']});
	children.add(child);
	let stdout = '';
	let stderr = '';
	let exited = false;
	const listeners = new Set<() => void>();
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
		for (const listener of listeners) listener();
	});
	const timeoutMs = options.timeoutMs ?? 20_000;
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const result = (async () => {
		const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
			child.once('error', reject);
			child.once('close', (c, s) => resolve([c, s]));
		});
		exited = true;
		for (const listener of listeners) listener();
		clearTimeout(timer);
		children.delete(child);
		if (signal === 'SIGKILL') throw new Error(`isoman ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
		return {code, signal, stdout, stderr, ms: Date.now() - started};
	})();
	return {
		result,
		async stderrMatches(pattern) {
			return new Promise((resolve, reject) => {
				const check = () => {
					if (pattern.test(stderr)) {
						listeners.delete(check);
						resolve();
					} else if (exited) {
						listeners.delete(check);
						reject(new Error(`isoman ${args.join(' ')} exited before its stderr matched ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
					}
				};

				listeners.add(check);
				check();
			});
		},
	};
}

/** Run `isoman <args>` to its end. */
export async function runCli(args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<CliResult> {
	return startCli(args, options).result;
}

/** Write a lock file as if process `pid` held the library in `role`. */
export function fakeLock(dir: string, pid: number, role: string): void {
	fs.mkdirSync(dir, {recursive: true});
	fs.writeFileSync(path.join(dir, 'isoman.lock'), JSON.stringify({pid, host: os.hostname(), startedAt: new Date().toISOString(), role}) + '\n');
}

/** `isoman --data-dir <dir> <args>`; throws with the output when the exit code is not `expect`. */
export async function isoman(dir: string, args: string[], expectCode = 0, env?: Record<string, string>): Promise<CliResult> {
	const result = await runCli(['--data-dir', dir, ...args], {env});
	if (result.code !== expectCode) {
		throw new Error(`isoman ${args.join(' ')}: exit ${result.code}, expected ${expectCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
	}

	return result;
}

export type ImageJson = {
	id: string;
	name: string;
	version: string;
	arch: string;
	edition: string | null;
	file_type: string;
	filename: string;
	file_path: string;
	size_bytes: number | null;
	downloaded_bytes: number;
	status: string;
	progress: number | null;
	checksum: string | null;
	checksum_type: string | null;
	expected_checksum: string | null;
	download_url: string;
	checksum_url: string | null;
	error_code: string | null;
	error_message: string | null;
	created_at: string;
	completed_at: string | null;
	signature_url: string | null;
	signature_key: string | null;
	require_signature: boolean;
	signed_by: {fingerprint: string; user_id: string; signed_at: string} | null;
};

export const IMAGE_FIELDS = [
	'id',
	'name',
	'version',
	'arch',
	'edition',
	'file_type',
	'filename',
	'file_path',
	'size_bytes',
	'downloaded_bytes',
	'status',
	'progress',
	'checksum',
	'checksum_type',
	'expected_checksum',
	'download_url',
	'checksum_url',
	'error_code',
	'error_message',
	'created_at',
	'completed_at',
	'download_count',
	'bytes_served',
	'verified_at',
	'max_rate',
	'signature_url',
	'signature_key',
	'require_signature',
	'signed_by',
];

export async function listJson(dir: string): Promise<ImageJson[]> {
	return JSON.parse((await isoman(dir, ['list', '--json'])).stdout) as ImageJson[];
}

export async function addImage(dir: string, url: string, extra: string[] = []): Promise<string> {
	const {stdout} = await isoman(dir, ['add', url, ...extra]);
	const id = stdout.trim();
	if (!/^[0-9a-f]{12}$/.test(id)) throw new Error(`add printed ${JSON.stringify(stdout)}, not an id`);
	return id;
}

export type DaemonLine = {ts: string; level: string; event: string; id?: string; [key: string]: unknown};

export type Daemon = {
	readonly child: ChildProcess;
	readonly pid: number;
	/** Every NDJSON line so far, parsed, with the time it was read. */
	readonly lines: Array<DaemonLine & {receivedAt: number}>;
	readonly stderr: () => string;
	/**
	 * The first line (at index ≥ `from`) matching `match`; waits for it up to `timeoutMs`. Rejects when the daemon
	 * exits first or the time runs out, with the lines seen so far in the message.
	 */
	next(match: (line: DaemonLine) => boolean, options?: {from?: number; timeoutMs?: number; what?: string}): Promise<DaemonLine & {receivedAt: number}>;
	/** Resolves with the exit code and signal once the process has exited. */
	readonly exited: Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>;
	kill(signal: NodeJS.Signals): void;
};

/** Start `isoman --data-dir <dir> --daemon <args>`. */
export function startDaemon(dir: string, args: string[] = [], env?: Record<string, string>): Daemon {
	const child = spawn(process.execPath, [CLI, '--data-dir', dir, '--daemon', ...args], {env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
	children.add(child);
	const lines: Array<DaemonLine & {receivedAt: number}> = [];
	const waiters = new Set<() => void>();
	let stderr = '';
	let nonJson = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	createInterface({input: child.stdout!}).on('line', text => {
		try {
			lines.push({...(JSON.parse(text) as DaemonLine), receivedAt: Date.now()});
		} catch {
			nonJson += text + '\n';
			lines.push({ts: '', level: 'error', event: '(not json)', text, receivedAt: Date.now()});
		}

		for (const wake of waiters) wake();
	});
	let exitInfo: {code: number | null; signal: NodeJS.Signals | null; at: number} | undefined;
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>(resolve => {
		child.once('close', (code, signal) => {
			children.delete(child);
			exitInfo = {code, signal, at: Date.now()};
			for (const wake of waiters) wake();
			resolve(exitInfo);
		});
	});
	const dump = () => `\nlines:\n${lines.map(l => JSON.stringify(l)).join('\n')}\nstderr: ${stderr}${nonJson ? `\nnot json: ${nonJson}` : ''}`;
	return {
		child,
		pid: child.pid!,
		lines,
		stderr: () => stderr,
		exited,
		kill: signal => child.kill(signal),
		async next(match, {from = 0, timeoutMs = 20_000, what = 'a matching line'} = {}) {
			return new Promise((resolve, reject) => {
				const check = () => {
					for (let i = from; i < lines.length; i++) {
						if (match(lines[i]!)) {
							done();
							resolve(lines[i]!);
							return;
						}
					}

					if (exitInfo) {
						done();
						reject(new Error(`daemon exited (${exitInfo.code ?? exitInfo.signal}) before ${what}${dump()}`));
					}
				};

				const timer = setTimeout(() => {
					done();
					reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${dump()}`));
				}, timeoutMs);
				const done = () => {
					clearTimeout(timer);
					waiters.delete(check);
				};

				waiters.add(check);
				check();
			});
		},
	};
}

/** SIGKILL every child still running (afterEach). */
export async function killChildren(): Promise<void> {
	const running = [...children];
	for (const child of running) child.kill('SIGKILL');
	await Promise.all(running.map(async child => (child.exitCode === null && child.signalCode === null ? new Promise(resolve => child.once('close', resolve)) : undefined)));
}

export const isEvent = (event: string, id?: string) => (line: DaemonLine) => line.event === event && (id === undefined || line.id === id);

export function partPath(dir: string, id: string): string {
	return path.join(dir, 'images', '.tmp', `${id}.part`);
}

export function partSize(dir: string, id: string): number {
	try {
		return fs.statSync(partPath(dir, id)).size;
	} catch {
		return -1;
	}
}

export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * A temp library and a test server per test, torn down (with any child processes) after each: call at the top
 * of a test file, then `await setUp()` in each test.
 */
export function withLibraryAndServer() {
	let lib: TempLibrary | undefined;
	let server: TestServer | undefined;
	afterEach(async () => {
		await killChildren();
		await server?.close();
		lib?.cleanup();
		lib = undefined;
		server = undefined;
	});
	return {
		async setUp() {
			lib = tempLibrary();
			server = await startTestServer();
			return {dir: lib.dir, server, config: lib.config};
		},
		get lib() {
			return lib;
		},
	};
}
