/**
 * Crash harness for edits: the real program (`node dist/cli.js edit ID --version V`, which moves a complete
 * image's file and sidecar) is killed with SIGKILL at pseudo-random moments, round after round. After every kill,
 * recovery runs (openLibrary, as the next start would) and the one checker (test/support/crash-checker.ts) must
 * find every invariant holding, plus what a move promises: no move left recorded, every image complete with
 * exactly one copy of its file, at the path its row names, with its verified content and a sidecar naming it.
 *
 * Kill moments come from one seeded PRNG (ISOMAN_CRASH_SEED reproduces a run). Half the rounds kill inside the
 * move itself: the test watches the catalogue and kills the moment the move is recorded (plus up to 1.5 ms, onto
 * the rename, the sidecar or the clean-up), so recovery really has moves to finish; the others kill mostly late in
 * the run (measured from uninterrupted runs first), sometimes anywhere from the spawn on. The same again with the
 * daemon (`--listen`) killed during `PUT /api/isos/:id`.
 */
import {spawn} from 'node:child_process';
import Database from 'better-sqlite3';
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
import {completeImages, serve} from '../server/helpers.js';
import {killChildren} from '../cli/helpers.js';
import fs from 'node:fs';

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
	await killChildren();
	await server.close();
	lib.cleanup();
});

/**
 * Run `isoman edit`; kill it after `killAfterMs`, or (`{inMove}`) the moment its move is recorded plus a little
 * (undefined: let it finish). Resolves with how it ended, when, and whether the kill came inside a move.
 */
function runEdit(
	args: string[],
	kill?: number | {inMove: number},
): Promise<{code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string; inMove: boolean}> {
	const started = performance.now();
	const child = spawn(process.execPath, [CLI, '--data-dir', lib.dir, 'edit', ...args], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const timer = typeof kill === 'number' ? setTimeout(() => child.kill('SIGKILL'), kill) : undefined;
	const inMove = typeof kill === 'object' ? killInsideMove(child.pid!, kill.inMove) : false;
	return new Promise(resolve => {
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal, ms: performance.now() - started, stderr, inMove});
		});
	});
}

/**
 * Watch the catalogue (a read-only connection, polled without yielding) until a move is recorded — step 1 of an
 * edit's move has committed and the file is about to move, or moving — then wait `extraMs` more (so the kill falls
 * on the rename, the sidecar or the clean-up) and SIGKILL `pid`. False when no move showed within 5 s.
 */
function killInsideMove(pid: number, extraMs: number): boolean {
	const db = new Database(config.dbPath, {readonly: true, fileMustExist: true});
	try {
		const count = db.prepare('SELECT count(*) FROM moves').pluck();
		const deadline = performance.now() + 5000;
		while (performance.now() < deadline) {
			if ((count.get() as number) > 0) {
				const until = performance.now() + extraMs;
				while (performance.now() < until);
				process.kill(pid, 'SIGKILL');
				return true;
			}
		}

		return false;
	} finally {
		db.close();
	}
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
		const outcomes = {killed: 0, killedInMove: 0, finished: 0, movesRecovered: 0};
		for (let round = 0; round < ROUNDS; round++) {
			const id = ids[Math.floor(random() * ids.length)]!;
			// Half the rounds inside the move itself (seen in the catalogue, then up to 1.5 ms more); the others at a
			// moment of the run: mostly its last stretch, sometimes anywhere.
			const kill = random() < 0.5 ? {inMove: random() * 1.5} : random() < 0.75 ? typical * (0.55 + random() * 0.5) : random() * typical;
			// (An edition set to what it already is moves nothing: the rounds that wait for a move always get one.)
			const args = typeof kill === 'number' && random() < 0.3 ? [id, '--edition', random() < 0.5 ? 'live' : ''] : [id, '--version', `${++version}.${Math.floor(random() * 3)}`];
			const run = await runEdit(args, kill);
			if (run.signal === 'SIGKILL') outcomes.killed++;
			else outcomes.finished++;
			if (run.inMove) outcomes.killedInMove++;
			const when = typeof kill === 'number' ? `killed after ${kill.toFixed(0)} ms` : `killed ${kill.inMove.toFixed(2)} ms into the move`;
			outcomes.movesRecovered += await recoverAndCheck(`round ${round} (seed ${SEED}, ${args.join(' ')}, ${when}: ${run.signal ?? run.code})`);
		}

		console.log(`edit crash harness, seed ${SEED}: ${JSON.stringify(outcomes)}`);
		// Enough kills that the harness did its job, and some inside a move that recovery then finished.
		expect(outcomes.killed, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(ROUNDS / 5);
		expect(outcomes.movesRecovered, JSON.stringify(outcomes)).toBeGreaterThan(0);
	});
});

/** `node -e PUT_SCRIPT <url> <token> <json>`: one PUT, whatever becomes of it. */
const PUT_SCRIPT = `const [url, token, body] = process.argv.slice(1);
fetch(url, {method: 'PUT', headers: {authorization: 'Bearer ' + token, 'content-type': 'application/json'}, body}).then(r => r.text(), () => {});`;

describe(`kill -9 of the daemon during an edit over the API (seed ${SEED})`, () => {
	const DAEMON_ROUNDS = Math.max(4, Math.round(ROUNDS / 2));

	/** PUT to the daemon's API from this process; resolves with the status, or 0 when the daemon died first. */
	async function put(url: string, token: string, id: string, body: Record<string, string>): Promise<number> {
		try {
			const res = await fetch(`${url}/api/isos/${id}`, {method: 'PUT', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify(body)});
			await res.arrayBuffer();
			return res.status;
		} catch {
			return 0;
		}
	}

	it(`${DAEMON_ROUNDS} rounds: the daemon killed at a random moment of a PUT that moves a file; recovery leaves one copy where its row says`, async () => {
		const random = seededRandom(SEED + 1);
		const ids = (await checkLibrary(config)).rows.map(r => r.id);
		let version = 100;
		// How long a PUT that moves a file takes on the daemon here (it stays up for these).
		const durations: number[] = [];
		{
			const {daemon, url} = await serve(lib.dir);
			const token = fs.readFileSync(path.join(lib.dir, 'api-token'), 'utf8').trim();
			for (const id of [...ids, ...ids]) {
				const started = performance.now();
				expect(await put(url, token, id, {version: `${++version}.0`})).toBe(200);
				durations.push(performance.now() - started);
			}

			daemon.kill('SIGTERM');
			await daemon.exited;
			await recoverAndCheck('uninterrupted PUTs');
		}

		const typical = [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)]!;
		const outcomes = {killedInMove: 0, killedAtRandom: 0, movesRecovered: 0};
		for (let round = 0; round < DAEMON_ROUNDS; round++) {
			const id = ids[Math.floor(random() * ids.length)]!;
			const {daemon, url} = await serve(lib.dir);
			const token = fs.readFileSync(path.join(lib.dir, 'api-token'), 'utf8').trim();
			const inMove = random() < 0.5;
			const body: Record<string, string> = !inMove && random() < 0.3 ? {edition: random() < 0.5 ? 'live' : ''} : {version: `${++version}.${Math.floor(random() * 3)}`};
			let when: string;
			if (inMove) {
				// The PUT from another process, so that this one can watch the catalogue without yielding.
				const client = spawn(process.execPath, ['-e', PUT_SCRIPT, `${url}/api/isos/${id}`, token, JSON.stringify(body)], {stdio: 'ignore'});
				const extra = random() * 1.5;
				if (killInsideMove(daemon.pid, extra)) outcomes.killedInMove++;
				else daemon.kill('SIGKILL');
				when = `killed ${extra.toFixed(2)} ms into the move`;
				await new Promise(resolve => client.once('close', resolve));
			} else {
				const delay = random() * typical * 1.5;
				const answer = put(url, token, id, body);
				await new Promise(resolve => setTimeout(resolve, delay));
				daemon.kill('SIGKILL');
				await answer;
				outcomes.killedAtRandom++;
				when = `killed ${delay.toFixed(1)} ms after the PUT was sent`;
			}

			await daemon.exited;
			outcomes.movesRecovered += await recoverAndCheck(`daemon round ${round} (seed ${SEED}, ${JSON.stringify(body)}, ${when})`);
		}

		console.log(`daemon edit crash harness, seed ${SEED}, PUT ~${typical.toFixed(1)} ms: ${JSON.stringify(outcomes)}`);
		expect(outcomes.movesRecovered, JSON.stringify(outcomes)).toBeGreaterThan(0);
	});
});
