import './helpers/env.js';
/**
 * What source/ui relies on from Ink beyond its documented API, in one place. When an Ink upgrade breaks one of
 * these, this test fails and says which file depends on it and why, instead of the TUI going subtly wrong:
 *  - use-keypress.ts reads `useStdin().internal_eventEmitter`'s 'input' events: raw key sequences, one per event
 *    (Ink's input parser splits escape sequences from text), Backspace and Delete distinguishable, a lone Esc
 *    delivered on its own.
 *  - frame-writer.ts / run-tui.tsx render in `debug: true` mode into a stand-in stdout: each commit writes the
 *    whole frame as plain lines (no cursor movement, no erase sequences), sized by the stream's columns.
 *  - components/line.tsx renders Ink's `ink-text` element with a fixed width and height: it draws its styled
 *    children on one row of that width, cut at the edge, and is never measured (so Ink's measure cache, which
 *    is never emptied, does not grow with each new text).
 *  - ink-row-cache.ts replaces Ink's internal Output.get (its own test compares the two).
 */
import {EventEmitter} from 'node:events';
import {Box, render, Text, useStdin} from 'ink';
import {useState} from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {parseKeys} from '../../source/ui/keys.js';
import {useKeypress} from '../../source/ui/use-keypress.js';
import {Line} from '../../source/ui/components/line.js';
import v8 from 'node:v8';
import vm from 'node:vm';
import {waitFor} from '../support/library.js';

/** A TTY stdin as Ink reads it ('readable' + read()). */
class FakeStdin extends EventEmitter {
	readonly isTTY = true;
	private queue: string[] = [];
	rawMode: boolean[] = [];
	send(data: string): void {
		this.queue.push(data);
		this.emit('readable');
	}

	read(): string | null {
		return this.queue.shift() ?? null;
	}

	setRawMode(on: boolean): void {
		this.rawMode.push(on);
	}

	setEncoding(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
}

class FakeStdout extends EventEmitter {
	readonly isTTY = true;
	readonly columns = 40;
	readonly rows = 10;
	readonly writes: string[] = [];
	write(chunk: unknown): boolean {
		this.writes.push(String(chunk));
		return true;
	}
}

const unmounts: Array<() => void> = [];
afterEach(() => {
	for (const unmount of unmounts.splice(0)) unmount();
});

function mount(node: React.ReactNode) {
	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	const instance = render(node, {stdin: stdin as never, stdout: stdout as never, stderr: new FakeStdout() as never, debug: true, exitOnCtrlC: false, patchConsole: false});
	unmounts.push(() => instance.unmount());
	return {stdin, stdout, instance};
}

describe('the Ink internals source/ui relies on (Ink 6)', () => {
	it('useStdin() still has internal_eventEmitter (use-keypress.ts subscribes to its "input" events)', () => {
		let emitter: unknown;
		function Probe() {
			emitter = (useStdin() as {internal_eventEmitter?: unknown}).internal_eventEmitter;
			return <Text>probe</Text>;
		}

		mount(<Probe />);
		expect(emitter instanceof EventEmitter, 'Ink no longer exposes useStdin().internal_eventEmitter: source/ui/use-keypress.ts needs another way to read raw input').toBe(true);
	});

	it('"input" events carry raw key sequences one by one: Backspace, Delete, arrows, a lone Esc and typed text (keys.ts parses them)', async () => {
		const received: string[] = [];
		function Keys() {
			useKeypress(data => received.push(data));
			return <Text>keys</Text>;
		}

		const {stdin} = mount(<Keys />);
		await waitFor(() => stdin.rawMode.includes(true) || undefined, {what: 'raw mode to be switched on through useStdin().setRawMode'});
		// One read holding several keys, as a fast typist or a paste gives it.
		stdin.send('\x7f\x1b[3~\x1b[Aab');
		stdin.send('\x1b');
		await waitFor(() => (received.length >= 5 ? received : undefined), {what: `five input events (got ${JSON.stringify(received)})`});
		expect(received, 'Ink\'s input events changed shape: source/ui/keys.ts expects one escape sequence or one run of text per event').toEqual(['\x7f', '\x1b[3~', '\x1b[A', 'ab', '\x1b']);
		expect(received.flatMap(data => parseKeys(data)).map(key => key.name), 'Backspace and Delete must stay apart (Delete removes, Backspace edits)').toEqual([
			'backspace',
			'delete',
			'up',
			'text',
			'escape',
		]);
	});

	it('debug mode writes every commit as the whole frame in plain lines, sized by the stream (frame-writer.ts diffs those)', async () => {
		let set: ((n: number) => void) | undefined;
		function Frame() {
			const [n, setN] = useState(1);
			set = setN;
			return (
				<Box flexDirection="column" width={40}>
					<Text>first line {n}</Text>
					<Text>second line</Text>
				</Box>
			);
		}

		const {stdout} = mount(<Frame />);
		await waitFor(() => stdout.writes.find(w => w.includes('first line 1')), {what: 'the first frame'});
		set!(2);
		const second = await waitFor(() => stdout.writes.find(w => w.includes('first line 2')), {what: 'the frame after a state change'});
		const reason = 'Ink\'s debug output changed: source/ui/frame-writer.ts expects each write to be the complete frame, without cursor or erase sequences';
		expect(second, reason).toContain('second line');
		expect(second.split('\n').filter(Boolean), reason).toEqual(['first line 2', 'second line']);
		// eslint-disable-next-line no-control-regex
		expect(/\x1b\[\d*[ABCDHJK]/.test(second), reason).toBe(false);
	});

	it('a Line draws its styled children on one row of its width, cut at the edge, side by side in a row', async () => {
		const {stdout} = mount(
			<Box flexDirection="column" width={40}>
				<Line width={12}>
					<Text color="green">abc</Text>def
				</Line>
				<Line width={6}>{'x'.repeat(20)}</Line>
				<Box>
					<Line width={5}>ab</Line>
					<Line width={5}>cd</Line>
				</Box>
				<Text>after</Text>
			</Box>,
		);
		const frame = await waitFor(() => stdout.writes.find(w => w.includes('after')), {what: 'the frame'});
		const reason = 'Ink\'s ink-text element no longer takes a fixed size from its style: source/ui/components/line.tsx needs another element';
		// eslint-disable-next-line no-control-regex
		const plain = frame.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
		expect(plain.slice(0, 4), reason).toEqual(['abcdef', 'xxxxx…', 'ab   cd', 'after']);
		expect(frame, 'the styled child keeps its colour').toContain('\x1b[32mabc\x1b[39m');
	});

	it('a Line is never measured: thousands of different texts leave no heap behind, where <Text> keeps each one', () => {
		v8.setFlagsFromString('--expose-gc');
		const gc = vm.runInNewContext('gc') as () => void;
		const retained = (line: (text: string) => React.ReactNode) => {
			const {instance, stdout} = mount(<Box width={80}>{line('start')}</Box>);
			gc();
			const before = process.memoryUsage().heapUsed;
			for (let i = 0; i < 5000; i++) instance.rerender(<Box width={80}>{line(`row ${i} ▾ ${'█'.repeat(i % 40)}${'░'.repeat(40 - (i % 40))} ${i * 7} MiB/s`)}</Box>);
			instance.unmount();
			stdout.writes.length = 0; // the frames the stand-in stdout kept
			gc();
			return process.memoryUsage().heapUsed - before;
		};

		// What rendering 5000 frames leaves anyway (compiled code, React's and Ink's own bookkeeping), the text
		// never changing: once to warm up, then measured.
		retained(() => <Line width={80}>the same text</Line>);
		const baseline = retained(() => <Line width={80}>the same text</Line>);
		const viaLine = retained(text => <Line width={80}>{text}</Line>) - baseline;
		const viaText = retained(text => <Text>{text}</Text>) - baseline;
		// 5000 texts of ~60 characters: Ink's measure cache keeps ~1.2 MB of them through <Text>; a Line leaves 0–0.2 MB.
		expect(viaText, 'the control: <Text> is measured and each text kept (Ink 6, issue #986)').toBeGreaterThan(800_000);
		expect(viaLine, 'a fixed-size ink-text was measured: Ink\'s measure cache grows with every new text again').toBeLessThan(400_000);
	});
});
