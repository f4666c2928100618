import './helpers/env.js';
import {EventEmitter} from 'node:events';
import {afterEach, describe, expect, it} from 'vitest';
import {Manager} from '../../source/core/manager.js';
import {silentLogger} from '../../source/core/log.js';
import {isInteractive, runTui} from '../../source/ui/run-tui.js';
import {ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN} from '../../source/ui/terminal.js';
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

async function start() {
	library = tempLibrary();
	manager = new Manager({config: library.config, log: silentLogger});
	manager.addNow({url: 'http://127.0.0.1:9/x/alpine-3.20.3-standard-x86_64.iso'});
	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	const exit = runTui({manager, config: library.config, log: silentLogger, stdin: stdin as never, stdout: stdout as never});
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
});
