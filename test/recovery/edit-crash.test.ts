/**
 * Crash harness for edits: the real program (`node dist/cli.js edit ID --version V`, which moves a complete
 * image's file and sidecar) is killed with SIGKILL at pseudo-random moments, round after round. After every kill,
 * recovery runs (openLibrary, as the next start would) and the one checker (test/support/crash-checker.ts) must
 * find every invariant holding, plus what a move promises: no move left recorded, every image complete with
 * exactly one copy of its file, at the path its row names, with its verified content and a sidecar naming it.
 *
 * Kill moments come from one seeded PRNG (ISOMAN_CRASH_SEED reproduces a run): mostly late in the run, where the
 * move happens (measured from uninterrupted runs first), sometimes anywhere from the spawn on.
 */
import {spawn} from 'node:child_process';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Config} from '../../source/config.js';
import {createLogger, memorySink} from '../../source/core/log.js';
import {openLibrary} from '../../source/core/open-library.js';
import type {Manager} from '../../source/core/manager.js';
import {checkLibrary} from '../support/crash-checker.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {seededRandom} from '../support/random.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {completeImages} from '../server/helpers.js';

const ROUNDS = Number(process.env['ISOMAN_EDIT_CRASH_ROUNDS'] ?? 30);
const SEED = Number(process.env['ISOMAN_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CLI = path.resolve('dist/cli.js');
const MiB = 1024 * 1024;

let lib: TempLibrary;
let server: TestServer;
let config: Config;

beforeAll(async () => {
	lib = tempLibrary();
	config = lib.config;
	server = await startTestServer();
	await completeImages(lib.dir, server, [
		{path: '/alpha-1.0-x86_64.iso', size: 3 * MiB, seed: 41},
		{path: '/beta-1.0-x86_64.iso', size: 2 * MiB + 3, seed: 42, algorithm: 'sha512'},
	]);
});

afterAll(async () => {
	await server.close();
	lib.cleanup();
});

/** Run `isoman edit`; kill it after `killAfterMs` (undefined: let it finish). Resolves with how it ended and when. */
function runEdit(args: string[], killAfterMs?: number): Promise<{code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string}> {
	const started = performance.now();
	const child = spawn(process.execPath, [CLI, '--data-dir', lib.dir, 'edit', ...args], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
	return new Promise(resolve => {
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal, ms: performance.now() - started, stderr});
		});
	});
}

/** Recovery as the next start runs it, then the checks. Returns how many moves recovery had to finish. */
async function recoverAndCheck(round: string): Promise<number> {
	const log = createLogger({level: 'info', sink: memorySink()});
	const library = await openLibrary(config, log, 'daemon', {requireOwner: true});
	try {
		const moves = (library.library as Manager).catalogue.db.prepare('SELECT count(*) FROM moves').pluck().get();
		expect(moves, `${round}: a move left recorded after recovery`).toBe(0);
		const result = await checkLibrary(config, {db: (library.library as Manager).catalogue.db});
		expect(result.violations, `${round}: ${result.violations.join('; ')}`).toEqual([]);
		expect(result.rows.map(r => r.status), round).toEqual(['complete', 'complete']);
		// Exactly the two images and their two sidecars: one copy each, where the rows say.
		expect(result.files.length, `${round}: ${result.files.join(', ')}`).toBe(4);
		for (const row of result.rows) expect(result.files, round).toContain(row.filePath);
		// Directories left empty by a move are gone: only the rows' directories remain.
		const dirs = new Set(result.files.map(f => f.split('/').slice(0, 2).join('/')));
		expect(dirs.size, `${round}: ${[...dirs].join(', ')}`).toBe(2);
		return library.recovery?.moved.length ?? 0;
	} finally {
		await library.close();
	}
}

describe(`kill -9 during isoman edit (seed ${SEED})`, () => {
	it(`${ROUNDS} rounds: after each kill, recovery leaves one copy at the path its row names`, async () => {
		const random = seededRandom(SEED);
		const ids = (await checkLibrary(config)).rows.map(r => r.id);
		// Uninterrupted runs first: how long an edit takes here, and that it works.
		const durations: number[] = [];
		let version = 1;
		for (const id of ids) {
			const done = await runEdit([id, '--version', `${++version}.0`]);
			expect(done.code, done.stderr).toBe(0);
			durations.push(done.ms);
			await recoverAndCheck(`uninterrupted ${id}`);
		}

		// The median, not the slowest: one run slowed by a loaded machine must not push every kill past the end.
		const typical = [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)]!;
		const outcomes = {killed: 0, finished: 0, movesRecovered: 0};
		for (let round = 0; round < ROUNDS; round++) {
			const id = ids[Math.floor(random() * ids.length)]!;
			// Mostly the last stretch of the run (the move), sometimes anywhere.
			const delay = random() < 0.75 ? typical * (0.55 + random() * 0.5) : random() * typical;
			const args = random() < 0.3 ? [id, '--edition', random() < 0.5 ? 'live' : ''] : [id, '--version', `${++version}.${Math.floor(random() * 3)}`];
			const run = await runEdit(args, delay);
			if (run.signal === 'SIGKILL') outcomes.killed++;
			else outcomes.finished++;
			outcomes.movesRecovered += await recoverAndCheck(`round ${round} (seed ${SEED}, ${args.join(' ')}, killed after ${delay.toFixed(0)} ms: ${run.signal ?? run.code})`);
		}

		console.log(`edit crash harness, seed ${SEED}: ${JSON.stringify(outcomes)}`);
		// Enough kills that the harness did its job; how many land depends on the machine's load.
		expect(outcomes.killed, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(ROUNDS / 5);
	});
});
