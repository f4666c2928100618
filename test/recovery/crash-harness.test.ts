/**
 * Crash harness (issue 5 §3): the real program, `node dist/cli.js --daemon`, downloads 3 images from a throttled
 * test server (running in this process) and is killed with SIGKILL at pseudo-random moments, over and over, then
 * started again. After every kill the library is checked with one checker (test/support/crash-checker.ts):
 *
 *   at the instant of the kill    the invariants that hold at every instant (integrity, files, parts, progress,
 *                                 complete rows) — a verifying row may already have its (right) file in place
 *   after recovery                all of them, and no row left downloading or verifying. Recovery runs either in
 *                                 this process (openLibrary, then the check) or in the next daemon, whose `started`
 *                                 line must report exactly the rows the kill left mid-flight (seeded choice)
 *   on the next request           a download resumes from exactly the .part size the kill left: bytes already on
 *                                 disk are never fetched again
 *
 * A round ends when all three images are complete; then each must have the server's sha256, its sidecar, no .part,
 * and a `Range: bytes=N-` request with N > 0 after a kill. Rounds repeat until ISOMAN_CRASH_KILLS kills (default 25).
 *
 * Kill moments: mostly a random delay after spawning (so kills also land during start-up and recovery), sometimes a
 * few random ms after the daemon reports a state change (`verifying`: the fsync/rename/sidecar/commit window;
 * `downloading`; `started`: right after recovery). The delay IS the crash moment, not a wait for a condition.
 * Every random choice comes from one seeded PRNG: ISOMAN_CRASH_SEED reproduces a run; the seed is printed and is in
 * every failure message.
 *
 * Sizes are chosen so that no image can complete within one run of the daemon from 0 (8+ MiB at 3 MiB/s vs at most
 * 2.2 s alive), so every image is interrupted with bytes on disk at least once per round.
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import {promisify} from 'node:util';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {loadConfig, type Config} from '../../source/config.js';
import {createLogger, memorySink} from '../../source/core/log.js';
import {openLibrary} from '../../source/core/open-library.js';
import type {RecoveryReport} from '../../source/core/recovery.js';
import type {Image} from '../../source/core/types.js';
import {checkLibrary, type CheckResult} from '../support/crash-checker.js';
import {waitFor} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {seededRandom} from '../support/random.js';
import {MiB} from '../support/sizes.js';

const execFileAsync = promisify(execFile);
const KILLS = Number(process.env['ISOMAN_CRASH_KILLS'] ?? 25);
const SEED = Number(process.env['ISOMAN_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** The program under test; ISOMAN_CRASH_CLI points a long run at a snapshot of dist/ that a rebuild cannot change. */
const CLI = path.resolve(process.env['ISOMAN_CRASH_CLI'] ?? 'dist/cli.js');
const THROTTLE_BPS = 3 * MiB;
/** Longest a daemon lives before the kill (from spawn). Less than the shortest image takes at THROTTLE_BPS. */
const MAX_ALIVE_MS = 2200;
const DAEMON_FLAGS = ['--retry-base-ms', '20', '--retry-max-ms', '200', '--stall-timeout', '2', '--per-host', '3', '--concurrency', '3'];


type Line = Record<string, unknown> & {event?: string};

class Daemon {
	readonly child: ChildProcess;
	readonly lines: Line[] = [];
	stderr = '';
	readonly exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
	private readonly listeners = new Set<(line: Line) => void>();

	constructor(dataDir: string) {
		this.child = spawn(process.execPath, [CLI, '--daemon', '--data-dir', dataDir, ...DAEMON_FLAGS], {stdio: ['ignore', 'pipe', 'pipe']});
		this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => resolve({code, signal})));
		readline.createInterface({input: this.child.stdout!}).on('line', text => {
			let line: Line;
			try {
				line = JSON.parse(text) as Line;
			} catch {
				line = {event: 'raw', text};
			}

			this.lines.push(line);
			for (const listener of this.listeners) listener(line);
		});
		this.child.stderr!.on('data', (chunk: Buffer) => {
			this.stderr += chunk.toString();
		});
	}

	/** Resolves with the first line (already seen or to come) that `match` accepts, or undefined on exit. */
	next(match: (line: Line) => boolean): Promise<Line | undefined> {
		const seen = this.lines.find(match);
		if (seen) return Promise.resolve(seen);
		return new Promise(resolve => {
			const listener = (line: Line) => {
				if (!match(line)) return;
				this.listeners.delete(listener);
				resolve(line);
			};

			this.listeners.add(listener);
			void this.exited.then(() => {
				this.listeners.delete(listener);
				resolve(undefined);
			});
		});
	}

	async kill(): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
		this.child.kill('SIGKILL');
		// Await the exit: a child not yet reaped still "holds" the lock (its pid answers kill(pid, 0)).
		return this.exited;
	}

	tail(n = 15): string {
		return this.lines
			.slice(-n)
			.map(line => JSON.stringify(line))
			.join('\n');
	}
}

const delay = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

type Stats = {
	kills: number;
	rounds: number;
	inProcessRecoveries: number;
	daemonRecoveries: number;
	/** How each kill moment was chosen. */
	killsBy: Record<string, number>;
	/** What the kills caught: rows by state (verifying+file = between the rename and the commit), and start-up. */
	caught: Record<string, number>;
	/** Requests that resumed a .part at exactly its size. */
	resumed: number;
	requeued: number;
	completedByRecovery: number;
};

describe('crash harness: kill -9 at any moment loses nothing and leaves nothing behind', () => {
	let server: TestServer;
	const dirs: string[] = [];
	beforeAll(async () => {
		server = await startTestServer();
	});
	afterAll(async () => {
		await server?.close();
		for (const dir of dirs) fs.rmSync(dir, {recursive: true, force: true});
	});

	it(`survives ${KILLS} SIGKILLs of the daemon with every image complete and resumed`, {timeout: 120_000 + KILLS * 8000}, async () => {
		expect(fs.existsSync(CLI), `${CLI} is missing: build first (npx tsc -p tsconfig.json)`).toBe(true);
		console.info(`crash harness: seed ${SEED} (ISOMAN_CRASH_SEED=${SEED} reproduces the choices), ${KILLS} kills`);
		const random = seededRandom(SEED);
		const stats: Stats = {kills: 0, rounds: 0, inProcessRecoveries: 0, daemonRecoveries: 0, killsBy: {}, caught: {}, resumed: 0, requeued: 0, completedByRecovery: 0};
		const started = Date.now();
		let context = '';
		const fail = (message: string, daemon?: Daemon): never => {
			const detail = daemon ? `\n--- daemon stdout (last lines) ---\n${daemon.tail()}\n--- daemon stderr ---\n${daemon.stderr.slice(-4000)}` : '';
			throw new Error(`[crash harness seed ${SEED}, ${context}] ${message}\nso far: ${JSON.stringify(stats)}${detail}`);
		};

		while (stats.kills < KILLS) {
			stats.rounds++;
			await round(stats.rounds);
		}

		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		console.info(`crash harness: seed ${SEED}: ${stats.kills} kills in ${stats.rounds} rounds, ${seconds} s; ${JSON.stringify(stats)}`);

		async function round(n: number): Promise<void> {
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-crash-'));
			dirs.push(dataDir);
			const config = loadConfig({dataDir}, {});
			context = `round ${n}, kill ${stats.kills}`;

			// Three images: one checked against a SHA256SUMS file, one against a given digest, one unverified.
			const images: Array<{path: string; sha: string; size: number}> = [];
			for (let i = 0; i < 3; i++) {
				const size = 8 * MiB + Math.floor(random() * 4 * MiB);
				const file = `/r${n}-${SEED}/distro${i}-${n}.${i}-x86_64.iso`;
				const sha = await server.serve(file, {kind: 'generated', size, seed: SEED + n * 10 + i, fileType: 'iso'}, {throttleBps: THROTTLE_BPS});
				images.push({path: file, sha, size});
			}

			await server.serve(`/r${n}-${SEED}/SHA256SUMS`, {kind: 'buffer', data: Buffer.from(`${images[0]!.sha}  ${path.basename(images[0]!.path)}\n`)});
			const add = async (args: string[]) => (await execFileAsync(process.execPath, [CLI, 'add', ...args, '--data-dir', dataDir])).stdout.trim();
			const ids = [
				await add([server.url(images[0]!.path), '--checksum-url', server.url(`/r${n}-${SEED}/SHA256SUMS`)]),
				await add([server.url(images[1]!.path), '--checksum', `sha256:${images[1]!.sha}`]),
				await add([server.url(images[2]!.path)]),
			];
			const pathOf = new Map(ids.map((id, i) => [id, images[i]!.path]));

			let firstKillAt = Infinity;
			/** What the next daemon's recovery must report: the rows the last kill left mid-flight. */
			let expectRecovery: string[] | undefined;
			/** Per image path: the .part size after the last kill; the next GET must resume exactly there. */
			let resumeAt = new Map<string, number>();
			let done = false;
			/** Some image was past 60% at the last kill. */
			let nearEnd = false;
			const resumedPaths = new Set<string>();

			while (!done) {
				context = `round ${n}, kill ${stats.kills + 1}`;
				const requestsBefore = server.requests.length;
				const daemon = new Daemon(dataDir);
				// Enough kills, and every image of the round has been resumed after one: let the round finish.
				const finishing = stats.kills >= KILLS && resumedPaths.size === 3;
				let how: string;
				if (finishing) {
					// Enough kills: let the round finish, then kill the idle daemon (a kill with nothing in flight).
					how = 'idle';
					await waitForAll(daemon, config);
				} else {
					how = await killMoment(daemon, nearEnd);
				}

				const exit = await daemon.kill();
				stats.kills++;
				stats.killsBy[how] = (stats.killsBy[how] ?? 0) + 1;
				firstKillAt = Math.min(firstKillAt, Date.now());
				if (exit.signal !== 'SIGKILL') fail(`the daemon exited on its own (code ${exit.code}, signal ${exit.signal}) before the kill`, daemon);

				// Its `started` line (if it got that far) reports what its recovery did: exactly the rows left mid-flight.
				const startedLine = daemon.lines.find(line => line.event === 'started');
				if (startedLine && expectRecovery) {
					const report = startedLine['recovery'] as RecoveryReport;
					const handled = [...report.requeued, ...report.completed].sort();
					if (JSON.stringify(handled) !== JSON.stringify([...expectRecovery].sort())) {
						fail(`the daemon's recovery handled ${JSON.stringify(handled)}, but the kill before left ${JSON.stringify(expectRecovery)} mid-flight`, daemon);
					}

					for (const key of ['failed', 'missing', 'corrupt', 'untracked', 'partsDeleted'] as const) {
						if (report[key].length > 0) fail(`the daemon's recovery reported ${key}: ${JSON.stringify(report[key])}`, daemon);
					}

					stats.daemonRecoveries++;
					stats.requeued += report.requeued.length;
					stats.completedByRecovery += report.completed.length;
					expectRecovery = undefined;
				}

				// Every download this daemon resumed started at exactly the .part size the previous kill left.
				const firstGet = new Map<string, (typeof server.requests)[number]>();
				for (const request of server.requests.slice(requestsBefore)) {
					if (request.method === 'GET' && !firstGet.has(request.path)) firstGet.set(request.path, request);
				}

				for (const [file, size] of resumeAt) {
					const request = firstGet.get(file);
					if (!request) continue;
					const expected = size > 0 ? `bytes=${size}-` : undefined;
					if (request.range !== expected) fail(`${file}: the first request after the kill asked for ${request.range ?? 'everything'}; the .part held ${size} bytes`, daemon);
					if (size > 0) {
						stats.resumed++;
						resumedPaths.add(file);
					}
				}

				// At the instant of the kill.
				const crashed = await check(config, false, `after kill ${stats.kills} (${how})`, daemon);
				resumeAt = new Map();
				const caught = (what: string) => {
					stats.caught[what] = (stats.caught[what] ?? 0) + 1;
				};

				if (!startedLine) caught('before started (lock, open, recovery)');
				for (const image of crashed.rows) {
					const file = pathOf.get(image.id);
					if (!file) fail(`unknown row ${image.id}`);
					if (image.status !== 'complete') resumeAt.set(file!, partSize(config, image.id));
					if (image.status === 'verifying') caught(fs.existsSync(path.join(config.imagesDir, image.filePath)) ? 'verifying, file in place' : 'verifying, .part');
					if (image.status === 'downloading') caught(partSize(config, image.id) > 0 ? 'downloading' : 'downloading, empty .part');
				}

				if (crashed.files.some(file => path.basename(file).endsWith('.sidecar-tmp'))) caught('half-written sidecar');

				nearEnd = crashed.rows.some(image => image.status !== 'complete' && image.sizeBytes !== null && partSize(config, image.id) > 0.6 * image.sizeBytes);

				// Recovery: here, or in the next daemon (seeded choice).
				let settled: CheckResult = crashed;
				if (random() < 0.5) {
					settled = await recoverHere(config);
					stats.inProcessRecoveries++;
					expectRecovery = undefined;
				} else {
					expectRecovery = crashed.rows.filter(image => image.status === 'downloading' || image.status === 'verifying').map(image => image.id);
				}

				done = settled.rows.length === 3 && settled.rows.every(image => image.status === 'complete');
			}

			// The round is over: everything complete, right, resumed, and nothing left behind.
			context = `round ${n}, end`;
			const final = await check(config, true, 'at the end of the round');
			for (const [i, id] of ids.entries()) {
				const image = final.rows.find(row => row.id === id);
				const served = images[i]!;
				expect(image, `${context}: row ${id}`).toBeDefined();
				expect(image!.status, `${context}: ${id}`).toBe('complete');
				expect(image!.checksum, `${context}: ${id} digest`).toBe(served.sha);
				expect(image!.sizeBytes).toBe(served.size);
				expect(fs.statSync(path.join(config.imagesDir, image!.filePath)).size).toBe(served.size);
				expect(fs.existsSync(path.join(config.imagesDir, `${image!.filePath}.sha256`)), `${context}: sidecar of ${id}`).toBe(true);
				const resumed = server.requestsFor(served.path).filter(r => r.time >= firstKillAt && /^bytes=([1-9]\d*)-$/.test(r.range ?? ''));
				if (resumed.length === 0) {
					fail(`${served.path} was never resumed with a Range request after a kill: ${JSON.stringify(server.requestsFor(served.path).map(r => r.range ?? null))}`);
				}
			}

			expect(final.rows.find(row => row.id === ids[0])!.expectedChecksum).toBe(images[0]!.sha);
			expect(final.rows.find(row => row.id === ids[2])!.expectedChecksum).toBeNull();
			expect(final.tmp).toEqual([]);
			expect(final.files.length).toBe(6); // three images and their sidecars
		}

		/**
		 * Kill at a seeded moment: a delay from spawn, or 0–9 ms after a reported state change. Near the end of the
		 * downloads the `verifying` trigger is likelier: the daemon needs ~10–25 ms from that line to the commit
		 * (rename, fsync, sidecar, transaction), and that window is what it aims at.
		 */
		async function killMoment(daemon: Daemon, nearEnd: boolean): Promise<string> {
			const r = random();
			const extra = random();
			const aliveMs = Math.floor(random() * MAX_ALIVE_MS);
			const byTime = nearEnd ? 0.3 : 0.7;
			if (r < byTime) {
				await delay(aliveMs);
				return 'time';
			}

			const u = (r - byTime) / (1 - byTime);
			const event = u < 0.7 ? 'verifying' : u < 0.85 ? 'started' : 'downloading';
			const seen = await Promise.race([daemon.next(line => line.event === event), delay(MAX_ALIVE_MS).then(() => undefined)]);
			if (!seen) return `time (no ${event})`;
			await delay(Math.floor(extra * 10));
			return `after ${event}`;
		}

		/** Poll the catalogue (read-only, beside the running daemon) until every image is complete. */
		async function waitForAll(daemon: Daemon, config: Config): Promise<void> {
			await waitFor(
				() => {
					if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) fail('the daemon exited while finishing the round', daemon);
					const db = new Database(config.dbPath, {readonly: true, fileMustExist: true});
					try {
						const rows = db.prepare('SELECT id, status, error_message FROM images').all() as Array<{id: string; status: string; error_message: string | null}>;
						const failed = rows.find(row => row.status === 'failed' || row.status === 'missing');
						if (failed) fail(`image ${failed.id} is ${failed.status}: ${failed.error_message ?? ''}`, daemon);
						return rows.every(row => row.status === 'complete');
					} finally {
						db.close();
					}
				},
				{timeoutMs: 60_000, intervalMs: 50, what: 'every image of the round to complete'},
			);
		}

		async function check(config: Config, settled: boolean, when: string, daemon?: Daemon): Promise<CheckResult> {
			const result = await checkLibrary(config, {settled});
			const failed = result.rows.filter(image => image.status === 'failed' || image.status === 'missing');
			const problems = [...result.violations, ...failed.map(image => `${image.id} is ${image.status}: ${image.errorMessage ?? ''}`)];
			if (problems.length > 0) fail(`invariants broken ${when}:\n  ${problems.join('\n  ')}\nrows: ${describeRows(result.rows)}`, daemon);
			return result;
		}

		async function recoverHere(config: Config): Promise<CheckResult> {
			const sink = memorySink();
			const library = await openLibrary(config, createLogger({level: 'info', sink}), 'crash-harness', {requireOwner: true});
			try {
				const summaries = sink.records().filter(r => r['event'] === 'recovery.summary');
				if (summaries.length !== 1) fail(`recovery logged ${summaries.length} summary lines`);
				stats.requeued += library.recovery!.requeued.length;
				stats.completedByRecovery += library.recovery!.completed.length;
				for (const key of ['failed', 'missing', 'corrupt', 'untracked', 'partsDeleted'] as const) {
					if (library.recovery![key].length > 0) fail(`recovery reported ${key}: ${JSON.stringify(library.recovery![key])}`);
				}
			} finally {
				await library.close();
			}

			return check(config, true, 'after recovery');
		}
	});
});

function partSize(config: Config, id: string): number {
	try {
		return fs.statSync(path.join(config.tmpDir, `${id}.part`)).size;
	} catch {
		return 0;
	}
}

function describeRows(rows: Image[]): string {
	return JSON.stringify(rows.map(image => ({id: image.id, status: image.status, downloaded: image.downloadedBytes, size: image.sizeBytes})));
}
