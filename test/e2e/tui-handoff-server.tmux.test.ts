/**
 * End to end in tmux: a TUI started with the server's options (`--listen`, `--auth all`, `--web-root`, the token
 * in ISOMAN_API_TOKEN) loses its terminal while it downloads; the background daemon it hands the library to serves
 * with exactly those options — on that address, the token required for reads, the web app at / — and got the
 * token through its environment (test/cli/hand-off.test.ts checks that its command line has the options and not
 * the token).
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readLock} from '../../source/core/lock.js';
import {freePort} from '../support/ports.js';
import {waitFor} from '../support/library.js';
import {cli, haveTmux, tmux, tmuxFixture} from './tmux-fixture.js';

const MiB = 1024 * 1024;
const TOKEN = 'handoff-token-0123456789-abcdef';


describe.skipIf(!haveTmux)('a TUI started with server options hands them to its background daemon', () => {
	const fixture = tmuxFixture('hand-srv');
	let web: string;
	beforeAll(() => {
		web = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-web-'));
		fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>handed-off app</title>');
	});
	afterAll(() => fs.rmSync(web, {recursive: true, force: true}));

	it('the daemon serves on the TUI\'s --listen with its --auth and --web-root, the token from its environment, and stays up', async () => {
		const {server, lib, session} = fixture;
		const file = '/pub/alpine-standard-3.20.3-x86_64.iso';
		await server.serve(file, {kind: 'generated', size: 12 * MiB, seed: 7, fileType: 'iso'}, {throttleBps: 2 * MiB});
		const add = spawnSync(process.execPath, [cli, '--data-dir', lib.dir, 'add', server.url(file)], {encoding: 'utf8'});
		expect(add.status, add.stderr).toBe(0);
		const port = await freePort();
		tmux(
			'new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'LANG=C.UTF-8', '-e', `ISOMAN_API_TOKEN=${TOKEN}`,
			`node ${cli} --data-dir ${lib.dir} --listen 127.0.0.1:${port} --auth all --web-root ${web}`,
		);
		await waitFor(() => (server.requestsFor(file)[0]?.bytesSent ?? 0) > 1 * MiB, {what: 'the TUI downloading', timeoutMs: 30_000});
		expect(readLock(lib.dir)?.role).toBe('tui');

		// The terminal goes away (SIGHUP): the downloads go to a background daemon.
		tmux('kill-session', '-t', session);
		const daemon = await waitFor(() => {
			const holder = readLock(lib.dir);
			return holder?.role === 'daemon' ? holder : undefined;
		}, {what: 'a daemon to hold the library', timeoutMs: 20_000});

		// It serves where the TUI was told to, with the token required for reads too, and the web app at /.
		const base = `http://127.0.0.1:${port}`;
		await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok, {what: 'the daemon to listen on the port', timeoutMs: 20_000});
		expect((await fetch(`${base}/api/isos`)).status).toBe(401);
		const list = await fetch(`${base}/api/isos`, {headers: {authorization: `Bearer ${TOKEN}`}});
		expect(list.status).toBe(200);
		expect(((await list.json()) as {data: {pagination: {total: number}}}).data.pagination.total).toBe(1);
		expect(await (await fetch(`${base}/some/route`)).text()).toContain('<title>handed-off app</title>');

		// Its environment has the token (its command line cannot be read back: isoman sets its process title over it,
		// so test/cli/hand-off.test.ts checks the command line itself).
		const environ = fs.readFileSync(`/proc/${daemon.pid}/environ`, 'utf8').split('\0');
		expect(environ).toContain(`ISOMAN_API_TOKEN=${TOKEN}`);
		expect(fs.readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
		// It finishes the download and, serving, stays up after its queue is done.
		await waitFor(async () => {
			const res = await fetch(`${base}/api/isos`, {headers: {authorization: `Bearer ${TOKEN}`}});
			return ((await res.json()) as {data: {isos: Array<{status: string}>}}).data.isos[0]?.status === 'complete';
		}, {what: 'the download to complete in the daemon', timeoutMs: 60_000, intervalMs: 200});
		expect(readLock(lib.dir)?.pid).toBe(daemon.pid);
		expect((await fetch(`${base}/health`)).ok).toBe(true);
		// Nor does the token reach the log.
		expect(fs.readFileSync(lib.config.logPath, 'utf8')).not.toContain(TOKEN);
	}, 120_000);
});
