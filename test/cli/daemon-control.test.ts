/**
 * `isoman status` says who holds the library and what it is doing; `isoman stop` stops the daemon gracefully,
 * waits for it to let go, and says so in its exit code. `isoman help` is `--help`; an unknown flag is one line
 * and exit 2.
 */
import {describe, expect, it} from 'vitest';
import {addImage, isEvent, isoman, runCli, startDaemon, withLibraryAndServer, MiB} from './helpers.js';
import {readLock} from '../../source/core/lock.js';

const env = withLibraryAndServer();

describe('isoman status and stop', () => {
	it('status names the daemon, its pid, since when and the counts; stop ends it and exits 0; both say when nothing runs', async () => {
		const {dir, server} = await env.setUp();
		await server.serve('/pub/alpine-3.20.3-x86_64.iso', {kind: 'generated', size: 64 * MiB, seed: 3, fileType: 'iso'}, {throttleBps: 1 * MiB});
		await addImage(dir, server.url('/pub/alpine-3.20.3-x86_64.iso'));
		await addImage(dir, server.url('/pub/debian-12.5.0-amd64-netinst.iso'));
		const none = await runCli(['--data-dir', dir, 'status']);
		expect(none.code).toBe(1);
		expect(none.stdout).toContain('nothing holds');
		expect(none.stdout).toMatch(/0 active, 2 queued/);

		const daemon = startDaemon(dir, ['--concurrency', '1']);
		await daemon.next(isEvent('started'));
		await daemon.next(isEvent('downloading'), {what: 'a download to start'});
		const running = await runCli(['--data-dir', dir, 'status']);
		expect(running.code, running.stderr).toBe(0);
		expect(running.stdout).toContain(`isoman daemon pid ${daemon.pid} holds ${dir}`);
		expect(running.stdout).toMatch(/since \d{4}-\d\d-\d\dT/);
		expect(running.stdout).toMatch(/1 active, 1 queued/);
		expect(running.stdout).toContain('isoman stop');
		const json = JSON.parse((await isoman(dir, ['status', '--json'])).stdout) as {holder: {role: string; pid: number}; images: {active: number; queued: number}};
		expect(json.holder).toMatchObject({role: 'daemon', pid: daemon.pid});
		expect(json.images).toMatchObject({active: 1, queued: 1});

		const stopped = await runCli(['--data-dir', dir, 'stop']);
		expect(stopped.code, stopped.stderr).toBe(0);
		expect(stopped.stdout).toContain(`stopped isoman daemon pid ${daemon.pid}`);
		// It had really gone when stop returned: exited cleanly, library released.
		const exit = await daemon.exited;
		expect(exit.code).toBe(0);
		expect(exit.at).toBeLessThanOrEqual(Date.now());
		expect(readLock(dir)).toBeUndefined();
		const again = await runCli(['--data-dir', dir, 'stop']);
		expect(again.code).toBe(0);
		expect(again.stdout).toContain('nothing to stop');
	});

	it('stop refuses a TUI, naming it', async () => {
		const {dir} = await env.setUp();
		await addImage(dir, 'http://127.0.0.1:9/pub/alpine-3.20.3-x86_64.iso');
		const {fakeLock} = await import('./helpers.js');
		fakeLock(dir, process.pid, 'tui');
		const result = await runCli(['--data-dir', dir, 'stop']);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(`held by a TUI (pid ${process.pid})`);
	});
});

describe('the command line', () => {
	it('isoman help is --help, isoman help <command> its help; an unknown flag is one clean line and exit 2', async () => {
		const help = await runCli(['help']);
		expect(help.code).toBe(0);
		expect(help.stdout).toBe((await runCli(['--help'])).stdout);
		const addHelp = await runCli(['help', 'add']);
		expect(addHelp.code).toBe(0);
		expect(addHelp.stdout).toContain('Usage: isoman add');
		const unknown = await runCli(['list', '--bogus']);
		expect(unknown.code).toBe(2);
		expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
		expect(unknown.stderr).toContain('--bogus');
		expect(unknown.stdout).toBe('');
	});

	it('add --json on a duplicate prints the existing image as JSON (exit 3)', async () => {
		const {dir} = await env.setUp();
		const url = 'http://127.0.0.1:9/pub/alpine-3.20.3-x86_64.iso';
		const first = JSON.parse((await isoman(dir, ['add', url, '--json'])).stdout) as {id: string};
		const again = await runCli(['--data-dir', dir, 'add', url, '--json']);
		expect(again.code).toBe(3);
		expect(JSON.parse(again.stdout)).toMatchObject({id: first.id, name: 'alpine', version: '3.20.3'});
		expect(again.stderr).toContain(first.id);
	});
});
