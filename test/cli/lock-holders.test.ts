/**
 * The lock never blocks a library for ever: a lock whose pid is this very process (a container's PID 1 after a
 * SIGKILL), whose pid is dead, or whose pid now belongs to another process is stale and taken over; a lock from
 * another host is refused with a message naming it and `isoman unlock --force`, which breaks it and says so.
 * Real lock files, real child processes.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {acquireLock, holderState, LockHeldError, processStart, type LockInfo} from '../../source/core/lock.js';
import {waitFor} from '../support/library.js';
import {tempLibrary} from '../support/library.js';
import {CLI, childEnv, runCli, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();

function writeLock(dir: string, fields: Record<string, unknown>): string {
	const file = path.join(dir, 'isoman.lock');
	fs.mkdirSync(dir, {recursive: true});
	fs.writeFileSync(file, JSON.stringify({pid: 1, host: os.hostname(), startedAt: new Date().toISOString(), role: 'daemon', ...fields}) + '\n');
	return file;
}

/**
 * Run the daemon as the process a lock names: the shell writes the lock with its own pid ($$), then execs node
 * in its place (same pid), as a container's PID 1 restarted after a SIGKILL finds the lock it left.
 */
async function daemonWithItsOwnPidInTheLock(dir: string, lockFields: string): Promise<{code: number | null; stdout: string; stderr: string}> {
	const lock = path.join(dir, 'isoman.lock');
	const script = `printf '{"pid":%d,"host":"%s","role":"daemon",${lockFields}}\\n' "$$" "$(hostname)" > '${lock}'; exec '${process.execPath}' '${CLI}' --data-dir '${dir}' --daemon --exit-when-idle`;
	const child = spawn('sh', ['-c', script], {env: childEnv(), stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
	child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
	const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
	const code = await new Promise<number | null>(resolve => child.once('close', resolve));
	clearTimeout(timer);
	return {code, stdout, stderr};
}

describe('stale locks are taken over', () => {
	it('a lock with this very process\'s pid, left by an earlier process (another start time, or an old lock without one)', async () => {
		const {dir} = await library.setUp();
		fs.mkdirSync(dir, {recursive: true});
		for (const fields of ['"startedAt":"2020-01-01T00:00:00.000Z","procStart":"1"', '"startedAt":"2020-01-01T00:00:00.000Z"']) {
			const run = await daemonWithItsOwnPidInTheLock(dir, fields);
			expect(run.stderr).not.toContain('in use by');
			expect(run.code, `${fields}\n${run.stdout}\n${run.stderr}`).toBe(0);
			expect(run.stdout).toContain('"event":"started"');
		}
	});

	it('a dead pid, and a pid reused by another process (its start time differs)', async () => {
		const {dir} = await library.setUp();
		writeLock(dir, {pid: 2 ** 22 + 1});
		expect((await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'])).code).toBe(0);
		// pid 1 is alive (init), but not the process that took this lock.
		writeLock(dir, {pid: 1, procStart: '999999999999'});
		expect((await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'])).code).toBe(0);
		expect(fs.existsSync(path.join(dir, 'isoman.lock'))).toBe(false);
	});

	it('a holder that has exited but is not reaped yet (a zombie: kill(pid, 0) still succeeds) is stale at once', async () => {
		const {dir} = await library.setUp();
		// `sleep 0` exits at once; the shell that started it becomes `sleep 30`, which never waits for it.
		const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {stdio: ['ignore', 'pipe', 'ignore']});
		try {
			const zombie = Number(await new Promise<string>(resolve => parent.stdout.setEncoding('utf8').once('data', resolve)));
			await waitFor(() => (/\) Z /.test(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')) ? true : undefined), {what: 'the zombie'});
			const procStart = processStart(zombie);
			expect(procStart).toBeDefined();
			writeLock(dir, {pid: zombie, procStart});
			expect(holderState(JSON.parse(fs.readFileSync(path.join(dir, 'isoman.lock'), 'utf8')) as LockInfo)).toBe('stale');
			const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
			expect(run.stderr).not.toContain('in use by');
			expect(run.code).toBe(0);
		} finally {
			parent.kill('SIGKILL');
		}
	});

	it('a live holder in this very process (another thread or handle) is not stale', () => {
		const lib = tempLibrary();
		try {
			const lock = acquireLock(lib.dir, 'daemon');
			expect(lock.info.procStart).toBe(processStart(process.pid));
			expect(holderState(lock.info)).toBe('live');
			expect(() => acquireLock(lib.dir, 'tui')).toThrow(LockHeldError);
			lock.release();
		} finally {
			lib.cleanup();
		}
	});
});

describe('a lock from another host', () => {
	it('is refused naming the host and the command; unlock without --force explains, with --force breaks it and says what it did', async () => {
		const {dir} = await library.setUp();
		const lock = writeLock(dir, {pid: 4242, host: 'build-server-7', startedAt: '2026-11-30T12:00:00.000Z'});
		const daemon = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		expect(daemon.code).toBe(1);
		expect(daemon.stderr).toContain('on host build-server-7');
		expect(daemon.stderr).toContain('isoman unlock --force');

		const ask = await runCli(['--data-dir', dir, 'unlock']);
		expect(ask.code).toBe(1);
		expect(ask.stderr).toContain('isoman daemon pid 4242 on host build-server-7');
		expect(ask.stderr).toContain('two downloaders would then share the library');
		expect(fs.existsSync(lock)).toBe(true);

		const force = await runCli(['--data-dir', dir, 'unlock', '--force']);
		expect(force.code).toBe(0);
		expect(force.stdout).toContain('removed the lock of isoman daemon pid 4242 on host build-server-7');
		expect(fs.existsSync(lock)).toBe(false);
		expect((await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'])).code).toBe(0);
		expect((await runCli(['--data-dir', dir, 'unlock'])).stdout).toContain('no lock');
	});

	it('unlock never breaks the lock of a running isoman here, even with --force', async () => {
		const {dir} = await library.setUp();
		const lock = writeLock(dir, {pid: process.pid, procStart: processStart(process.pid), startedAt: new Date().toISOString()});
		const run = await runCli(['--data-dir', dir, 'unlock', '--force']);
		expect(run.code).toBe(1);
		expect(run.stderr).toContain(`stop it (kill ${process.pid})`);
		expect(fs.existsSync(lock)).toBe(true);
	});
});
