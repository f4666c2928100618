/**
 * The alternate screen, by hand: Ink 6 has no option for it. Entered synchronously once; left (and the cursor
 * shown again) exactly once, on every exit path — including `process.exit` from anywhere, through an `exit` hook.
 * Writes are synchronous (fs.writeSync on the tty's fd) so they happen even inside exit and signal handlers.
 */
import fs from 'node:fs';

export const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l';
export const LEAVE_ALT_SCREEN = '\x1b[?25h\x1b[?1049l';

export type Screen = {enter(): void; leave(): void; readonly active: boolean};

function writeSync(stream: NodeJS.WriteStream, text: string): void {
	try {
		const fd = (stream as {fd?: unknown}).fd;
		if (typeof fd === 'number') fs.writeSync(fd, text);
		else stream.write(text);
	} catch {
		// The terminal may be gone (SIGHUP after an SSH disconnect): nothing left to restore.
	}
}

export function createScreen(stdout: NodeJS.WriteStream): Screen {
	let active = false;
	const onExit = () => leave();
	function leave() {
		if (!active) return;
		active = false;
		process.off('exit', onExit);
		writeSync(stdout, LEAVE_ALT_SCREEN);
	}

	return {
		enter() {
			if (active) return;
			active = true;
			process.on('exit', onExit);
			writeSync(stdout, ENTER_ALT_SCREEN);
		},
		leave,
		get active() {
			return active;
		},
	};
}
