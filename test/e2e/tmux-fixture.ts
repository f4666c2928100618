/**
 * For the tmux end-to-end tests: the tmux commands, and one test server, one temp library and one pid-suffixed
 * session per file (or describe), cleaned up after it (the session's TUI killed outright so that it hands nothing
 * to a new daemon, a daemon still holding the library stopped and waited for).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import path from 'node:path';
import {afterAll, beforeAll} from 'vitest';
import {readLock} from '../../source/core/index.js';
import fs from 'node:fs';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';

export const haveTmux = spawnSync('tmux', ['-V']).status === 0;
export const cli = path.resolve('dist/cli.js');
export const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'});
export const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);

export type TmuxFixture = {readonly server: TestServer; readonly lib: TempLibrary; readonly session: string};

export function tmuxFixture(name: string): TmuxFixture {
	const state: {server?: TestServer; lib?: TempLibrary} = {};
	const session = `isoman-${name}-${process.pid}`;
	beforeAll(async () => {
		if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first');
		state.server = await startTestServer();
		state.lib = tempLibrary();
	});
	afterAll(async () => {
		// The session's TUI is killed outright first: a TUI whose terminal goes away (or that gets SIGTERM) hands its
		// downloads to a new background daemon, which would outlive the test and re-create the library it deletes.
		const panes = spawnSync('tmux', ['list-panes', '-t', session, '-F', '#{pane_pid}'], {encoding: 'utf8'});
		const tuis = panes.status === 0 ? panes.stdout.split('\n').filter(Boolean).map(Number) : [];
		for (const pid of tuis) signal(pid, 'SIGKILL');
		await waitFor(() => !tuis.some(alive), {what: 'the TUI to die', timeoutMs: 10_000}).catch(() => undefined);
		spawnSync('tmux', ['kill-session', '-t', session]);
		const holder = state.lib && readLock(state.lib.dir);
		if (holder && alive(holder.pid)) {
			signal(holder.pid, 'SIGTERM');
			await waitFor(() => !alive(holder.pid), {what: 'the holder to stop', timeoutMs: 10_000}).catch(() => undefined);
		}

		await state.server?.close();
		state.lib?.cleanup();
	});
	return {
		get server() {
			return state.server!;
		},
		get lib() {
			return state.lib!;
		},
		session,
	};
}

function signal(pid: number, name: NodeJS.Signals): void {
	try {
		process.kill(pid, name);
	} catch {
		// Already gone.
	}
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
