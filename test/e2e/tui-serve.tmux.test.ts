/**
 * End to end in tmux: a TUI started with `--listen` serves the library while it owns it (the daemon's server:
 * /health, whole images under /images/, the header says where), and when its terminal goes away it closes that
 * server before the background daemon it hands the library to binds the same port — which then answers there.
 * Attached to a daemon it does not serve (the daemon does); when it takes the library over from a daemon that
 * stopped, it serves on its --listen.
 */
import {createHash} from 'node:crypto';
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import {describe, expect, it} from 'vitest';
import {readServerInfo} from '../../source/core/server-info.js';
import {readLock} from '../../source/core/lock.js';
import {freePort} from '../support/ports.js';
import {waitFor} from '../support/library.js';
import {cli, haveTmux, screen, tmux, tmuxFixture} from './tmux-fixture.js';

const MiB = 1024 * 1024;


type IsoRow = {name: string; status: string; file_path: string};

describe.skipIf(!haveTmux)('a TUI with --listen serves the library it owns', () => {
	const fixture = tmuxFixture('serve');

	it('answers /health, serves a complete image whole, and after the hand-off the daemon answers on the same port', async () => {
		const {server, lib, session} = fixture;
		const small = '/pub/debian-12.7.0-amd64-netinst.iso';
		const big = '/pub/alpine-standard-3.20.3-x86_64.iso';
		const smallSha = await server.serve(small, {kind: 'generated', size: 3 * MiB, seed: 3, fileType: 'iso'});
		await server.serve(big, {kind: 'generated', size: 16 * MiB, seed: 7, fileType: 'iso'}, {throttleBps: 1 * MiB});
		for (const file of [small, big]) {
			const add = spawnSync(process.execPath, [cli, '--data-dir', lib.dir, 'add', server.url(file)], {encoding: 'utf8'});
			expect(add.status, add.stderr).toBe(0);
		}

		const port = await freePort();
		const base = `http://127.0.0.1:${port}`;
		tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '30', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${lib.dir} --listen 127.0.0.1:${port}`);

		// The TUI owns the library and serves it.
		await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok, {what: 'the TUI to listen', timeoutMs: 20_000});
		const tui = readLock(lib.dir);
		expect(tui?.role).toBe('tui');
		expect(readServerInfo(lib.dir)).toEqual({pid: tui!.pid, url: base});
		await waitFor(() => screen(session).includes(`serving ${base}/images/`), {what: 'the header to say where it serves', timeoutMs: 10_000});

		// The small image completes in the TUI and is served whole, byte for byte.
		const row = await waitFor(async () => {
			const res = await fetch(`${base}/api/isos`);
			const isos = ((await res.json()) as {data: {isos: IsoRow[]}}).data.isos;
			return isos.find(iso => iso.name.startsWith('debian') && iso.status === 'complete');
		}, {what: 'the small download to complete in the TUI', timeoutMs: 30_000, intervalMs: 200});
		const image = await fetch(`${base}/images/${row.file_path.split('/').map(encodeURIComponent).join('/')}`);
		expect(image.status).toBe(200);
		const body = Buffer.from(await image.arrayBuffer());
		expect(body.length).toBe(3 * MiB);
		expect(createHash('sha256').update(body).digest('hex')).toBe(smallSha);
		expect(readLock(lib.dir)?.pid).toBe(tui!.pid);
		await waitFor(() => (server.requestsFor(big)[0]?.bytesSent ?? 0) > 1 * MiB, {what: 'the big download running in the TUI', timeoutMs: 30_000});

		// The terminal goes away: the TUI closes its server, then hands the library to a daemon that binds the port.
		tmux('kill-session', '-t', session);
		const daemon = await waitFor(() => {
			const holder = readLock(lib.dir);
			return holder?.role === 'daemon' ? holder : undefined;
		}, {what: 'a daemon to hold the library', timeoutMs: 20_000});
		await waitFor(() => readServerInfo(lib.dir)?.pid === daemon.pid, {what: 'the daemon to listen', timeoutMs: 20_000});
		expect(readServerInfo(lib.dir)?.url).toBe(base);
		expect((await fetch(`${base}/health`)).ok).toBe(true);
		const again = await fetch(`${base}/images/${row.file_path.split('/').map(encodeURIComponent).join('/')}`);
		expect(Buffer.from(await again.arrayBuffer()).length).toBe(3 * MiB);
		const log = fs.readFileSync(lib.config.logPath, 'utf8');
		expect(log).not.toContain('listen_failed');
		expect(log).not.toContain('EADDRINUSE');
	}, 120_000);
});

describe.skipIf(!haveTmux)('an attached TUI with --listen', () => {
	const fixture = tmuxFixture('serve-take');

	it('leaves serving to its daemon, and serves on the same port once it took the library over', async () => {
		const {server, lib, session} = fixture;
		const file = '/pub/alpine-standard-3.20.3-x86_64.iso';
		await server.serve(file, {kind: 'generated', size: 16 * MiB, seed: 5, fileType: 'iso'}, {throttleBps: 1 * MiB});
		expect(spawnSync(process.execPath, [cli, '--data-dir', lib.dir, 'add', server.url(file)]).status).toBe(0);
		const port = await freePort();
		const base = `http://127.0.0.1:${port}`;
		const daemon = spawn(process.execPath, [cli, '--data-dir', lib.dir, '--daemon', '--listen', `127.0.0.1:${port}`], {stdio: 'ignore'});
		await waitFor(() => readServerInfo(lib.dir)?.pid === daemon.pid, {what: 'the daemon to listen', timeoutMs: 20_000});
		tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '30', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${lib.dir} --listen 127.0.0.1:${port}`);
		await waitFor(() => screen(session).includes(`downloads run in daemon pid ${daemon.pid}`), {what: 'the attached TUI', timeoutMs: 20_000});
		// Attached, it leaves the port to the daemon (no bind attempt, no failure line) and shows where it serves.
		await waitFor(() => screen(session).includes(`serving ${base}/images/`), {what: 'the header to show the daemon\'s server', timeoutMs: 10_000});
		expect(screen(session)).not.toContain('Cannot serve');

		const exited = new Promise(resolve => daemon.once('exit', resolve));
		daemon.kill('SIGTERM');
		await exited;
		await waitFor(() => screen(session).includes('this TUI runs the downloads now'), {what: 'the TUI to take over', timeoutMs: 15_000});
		const tui = readLock(lib.dir);
		expect(tui?.role).toBe('tui');
		await waitFor(() => readServerInfo(lib.dir)?.pid === tui!.pid, {what: 'the TUI to serve after taking over', timeoutMs: 15_000});
		expect(readServerInfo(lib.dir)?.url).toBe(base);
		expect((await fetch(`${base}/health`)).ok).toBe(true);
		expect(screen(session)).not.toContain('Cannot serve');
	}, 120_000);
});
