/**
 * End to end in tmux: a dropped terminal (tmux kills the pane: SIGHUP, the way an SSH disconnect ends a session)
 * while the TUI runs a download hands it to a background daemon, which resumes from the .part's offset (a Range
 * request: no byte fetched twice), finishes it with the right checksum, and exits once its queue is empty.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readLock} from '../../source/core/lock.js';
import {openReader} from '../../source/core/index.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';

const haveTmux = spawnSync('tmux', ['-V']).status === 0;
const cli = path.resolve('dist/cli.js');
const MiB = 1024 * 1024;

const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'});
const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);

describe.skipIf(!haveTmux)('the TUI loses its terminal', () => {
	let server: TestServer;
	const libs: TempLibrary[] = [];
	const sessions: string[] = [];
	beforeAll(async () => {
		server = await startTestServer();
		if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first');
	});
	afterAll(async () => {
		for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
		for (const lib of libs) {
			const holder = readLock(lib.dir);
			if (holder) spawnSync('kill', [String(holder.pid)]);
		}

		await server.close();
		for (const lib of libs) lib.cleanup();
	});

	it('SIGHUP hands the running download to a background daemon that resumes it, finishes it and exits when idle', async () => {
		const lib = tempLibrary();
		libs.push(lib);
		const file = '/pub/alpine-standard-3.20.3-x86_64.iso';
		const sha = await server.serve(file, {kind: 'generated', size: 12 * MiB, seed: 5, fileType: 'iso'}, {throttleBps: 2 * MiB});
		const add = spawnSync(process.execPath, [cli, '--data-dir', lib.dir, 'add', server.url(file), '--checksum', `sha256:${sha}`], {encoding: 'utf8'});
		expect(add.status, add.stderr).toBe(0);
		const session = `isoman-hup-${process.pid}`;
		sessions.push(session);
		tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${lib.dir}`);
		await waitFor(() => (server.requestsFor(file)[0]?.bytesSent ?? 0) > 2 * MiB, {what: '2 MiB downloaded by the TUI', timeoutMs: 30_000});
		const tui = readLock(lib.dir);
		expect(tui?.role).toBe('tui');
		expect(screen(session)).toContain('1 active');

		// The terminal goes away: tmux hangs up the pane.
		tmux('kill-session', '-t', session);
		sessions.pop();
		const daemon = await waitFor(() => {
			const holder = readLock(lib.dir);
			return holder && holder.role === 'daemon' ? holder : undefined;
		}, {what: 'a daemon to hold the library', timeoutMs: 20_000});
		expect(daemon.pid).not.toBe(tui!.pid);

		const reader = openReader(lib.config);
		try {
			const done = await waitFor(() => {
				const image = reader.list()[0];
				return image && (image.status === 'complete' || image.status === 'failed') ? image : undefined;
			}, {what: 'the download to finish in the daemon', timeoutMs: 60_000});
			expect(done.status, done.errorMessage ?? '').toBe('complete');
			expect(done.checksum).toBe(sha);
		} finally {
			await reader.close();
		}

		// The daemon resumed where the TUI stopped: its request asked for the rest only.
		const requests = server.requestsFor(file);
		expect(requests.length).toBeGreaterThanOrEqual(2);
		const resumed = requests.at(-1)!;
		expect(resumed.range).toMatch(/^bytes=[1-9]\d*-$/);
		const total = requests.reduce((sum, r) => sum + r.bytesSent, 0);
		expect(total).toBeLessThan(12 * MiB + 2 * MiB);

		// Nothing left to do: the daemon exits and releases the library.
		await waitFor(() => !readLock(lib.dir), {what: 'the daemon to exit when idle', timeoutMs: 20_000});
		const log = fs.readFileSync(lib.config.logPath, 'utf8');
		expect(log).toMatch(/tui\.terminal_gone/);
		expect(log).toMatch(/tui\.handed_off/);
		expect(log).toContain(`daemon pid ${daemon.pid}`);
	}, 120_000);

	it('a second TUI on the same library names the one that runs the downloads: "TUI pid N"', async () => {
		const lib = tempLibrary();
		libs.push(lib);
		const first = `isoman-first-${process.pid}`;
		const second = `isoman-second-${process.pid}`;
		sessions.push(first, second);
		tmux('new-session', '-d', '-s', first, '-x', '80', '-y', '24', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${lib.dir}`);
		const holder = await waitFor(() => readLock(lib.dir), {what: 'the first TUI to hold the library', timeoutMs: 20_000});
		expect(holder.role).toBe('tui');
		tmux('new-session', '-d', '-s', second, '-x', '120', '-y', '30', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${lib.dir}`);
		const text = await waitFor(() => {
			const t = screen(second);
			return t.includes('downloads run in') ? t : undefined;
		}, {what: 'the second TUI header', timeoutMs: 20_000});
		expect(text).toContain(`downloads run in TUI pid ${holder.pid}`);
		expect(text).not.toContain('daemon pid');
	}, 60_000);
});
