import './helpers/env.js';
import {EventEmitter} from 'node:events';
import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {Manager} from '../../source/core/manager.js';
import type {Library} from '../../source/core/index.js';
import {serveLibrary, type Serving} from '../../source/daemon/serve.js';
import {silentLogger} from '../../source/core/log.js';
import {isInteractive, runTui} from '../../source/ui/run-tui.js';
import {ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN} from '../../source/ui/terminal.js';
import {canBind, freePort} from '../support/ports.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';

class FakeStdin extends EventEmitter {
	isTTY = true;
	rawMode = false;
	private data: string | null = null;
	setRawMode(on: boolean) {
		this.rawMode = on;
	}

	setEncoding() {}
	ref() {}
	unref() {}
	resume() {}
	pause() {}
	read = () => {
		const {data} = this;
		this.data = null;
		return data;
	};

	write(data: string) {
		this.data = data;
		this.emit('readable');
	}
}

class FakeStdout extends EventEmitter {
	isTTY = true;
	columns = 100;
	rows = 30;
	output = '';
	write = (chunk: string) => {
		this.output += chunk;
		return true;
	};
}

let library: TempLibrary | undefined;
let manager: Manager | undefined;
afterEach(async () => {
	await manager?.close();
	library?.cleanup();
	manager = undefined;
	library = undefined;
});

async function start(extra: Partial<Parameters<typeof runTui>[0]> = {}) {
	library = tempLibrary();
	manager = new Manager({config: {...library.config, ...extra.config}, log: silentLogger});
	manager.addNow({url: 'http://127.0.0.1:9/x/alpine-3.20.3-standard-x86_64.iso'});
	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	const exit = runTui({manager, log: silentLogger, stdin: stdin as never, stdout: stdout as never, ...extra, config: {...library.config, ...extra.config}});
	await waitFor(() => stdout.output.includes('alpine') && stdin.rawMode, {what: 'the first frame'});
	return {stdin, stdout, exit};
}

describe('runTui', () => {
	it('isInteractive needs a TTY on both ends', () => {
		expect(isInteractive({isTTY: true}, {isTTY: true})).toBe(true);
		expect(isInteractive({isTTY: false}, {isTTY: true})).toBe(false);
		expect(isInteractive({isTTY: true}, {})).toBe(false);
	});

	it('enters the alternate screen, draws rows - 1 lines, and q leaves it with the cursor shown', async () => {
		const {stdin, stdout, exit} = await start();
		expect(stdout.output.startsWith(ENTER_ALT_SCREEN)).toBe(true);
		// Lines are placed absolutely; never on the last row (Ink 6 would clear the screen every frame).
		expect(stdout.output).toContain('\x1b[29;1H');
		expect(stdout.output).not.toContain('\x1b[30;1H');
		stdin.write('q');
		await expect(exit).resolves.toBe(0);
		expect(stdout.output.endsWith(LEAVE_ALT_SCREEN)).toBe(true);
		expect(stdin.rawMode).toBe(false);
	});

	it('restores the terminal on SIGTERM', async () => {
		const listeners = process.listenerCount('SIGTERM');
		const {stdout, exit} = await start();
		process.emit('SIGTERM', 'SIGTERM');
		await expect(exit).resolves.toBe(0);
		expect(stdout.output.endsWith(LEAVE_ALT_SCREEN)).toBe(true);
		// Its handlers are gone again.
		expect(process.listenerCount('SIGTERM')).toBe(listeners);
	});

	it('--listen: serves the library it owns, and on a hand-off closes the server before releasing the library and starting the daemon', async () => {
		const port = await freePort();
		const steps: string[] = [];
		let serving: Serving | undefined;
		const {exit} = await start({
			config: {listen: {host: '127.0.0.1', port}} as never,
			async serve(owner: Library) {
				serving = await serveLibrary(owner, {...library!.config, listen: {host: '127.0.0.1', port}}, silentLogger);
				return serving.url;
			},
			async stopServing() {
				steps.push('close server');
				await serving?.close();
			},
			async releaseLibrary() {
				steps.push('release library');
			},
			async startBackgroundDaemon() {
				// Where the daemon would bind: the address must be free by now.
				steps.push(await canBind(port) ? 'daemon starts, port free' : 'daemon starts, port TAKEN');
				return 4242;
			},
		});
		await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok, {what: 'the TUI to serve'});
		// The terminal goes away with a download queued: the library goes to a background daemon.
		process.emit('SIGHUP', 'SIGHUP');
		await expect(exit).resolves.toBe(0);
		expect(steps).toEqual(['close server', 'release library', 'daemon starts, port free']);
	});

	it('--listen on a port in use: one lasting line says so, and the TUI goes on', async () => {
		const holder = net.createServer();
		await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve));
		const {port} = holder.address() as net.AddressInfo;
		try {
			const listen = {host: '127.0.0.1', port};
			const {stdout, exit} = await start({
				config: {listen} as never,
				serve: async owner => (await serveLibrary(owner, {...library!.config, listen}, silentLogger)).url,
			});
			await waitFor(() => stdout.output.includes(`Cannot serve on 127.0.0.1:${port}`), {what: 'the bind failure on screen'});
			expect(stdout.output).toContain('the port is in use (EADDRINUSE); downloads go on without it.');
			process.emit('SIGTERM', 'SIGTERM');
			await expect(exit).resolves.toBe(0);
		} finally {
			await new Promise(resolve => holder.close(resolve));
		}
	});
});
