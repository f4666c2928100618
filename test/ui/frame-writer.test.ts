import {EventEmitter} from 'node:events';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {EXPEDITE_MS, FrameWriter} from '../../source/ui/frame-writer.js';

function fakeTerminal() {
	const out = new EventEmitter() as EventEmitter & {columns: number; rows: number; writes: string[]; write(s: string): boolean};
	out.columns = 40;
	out.rows = 5;
	out.writes = [];
	out.write = (s: string) => {
		out.writes.push(s);
		return true;
	};

	return out;
}

afterEach(() => {
	vi.useRealTimers();
});

describe('FrameWriter', () => {
	it('writes every line of the first frame, then only the lines that changed, at absolute positions', () => {
		const out = fakeTerminal();
		const writer = new FrameWriter(out as never, {maxFps: 1000});
		writer.stream.write('one\ntwo\nthree');
		expect(out.writes).toHaveLength(1);
		expect(out.writes[0]).toContain('\x1b[1;1H\x1b[2Kone');
		expect(out.writes[0]).toContain('\x1b[3;1H\x1b[2Kthree');
		writer.flush();
		writer.stream.write('one\nTWO\nthree');
		writer.flush();
		const second = out.writes.at(-1)!;
		expect(second).toContain('\x1b[2;1H\x1b[2KTWO');
		expect(second).not.toContain('one');
		expect(second).not.toContain('three');
		writer.close();
	});

	it('throttles to maxFps, writing the latest frame', () => {
		vi.useFakeTimers();
		const out = fakeTerminal();
		const writer = new FrameWriter(out as never, {maxFps: 10});
		for (let i = 0; i < 100; i++) {
			writer.stream.write(`frame ${i}`);
			vi.advanceTimersByTime(10);
		}

		vi.advanceTimersByTime(200);
		expect(out.writes.length).toBeLessThanOrEqual(11);
		expect(out.writes.at(-1)).toContain('frame 99');
		writer.close();
	});

	it('after a key press, frames are written at once instead of at the next interval; then the throttle is back', () => {
		vi.useFakeTimers();
		const out = fakeTerminal();
		const writer = new FrameWriter(out as never, {maxFps: 10});
		writer.stream.write('progress 1');
		expect(out.writes).toHaveLength(1);
		writer.stream.write('progress 2');
		expect(out.writes).toHaveLength(1);
		// The key arrives while a progress frame waits for its slot: it goes out now, and so does the key's frame.
		vi.advanceTimersByTime(10);
		writer.expedite();
		expect(out.writes.at(-1)).toContain('progress 2');
		writer.stream.write('selection moved');
		expect(out.writes).toHaveLength(3);
		expect(out.writes.at(-1)).toContain('selection moved');
		vi.advanceTimersByTime(EXPEDITE_MS);
		writer.stream.write('progress 3');
		writer.stream.write('progress 4');
		expect(out.writes).toHaveLength(4);
		vi.advanceTimersByTime(100);
		expect(out.writes).toHaveLength(5);
		expect(out.writes.at(-1)).toContain('progress 4');
		writer.close();
	});

	it('repaints everything after a resize and passes the resize on to Ink', () => {
		const out = fakeTerminal();
		const writer = new FrameWriter(out as never, {maxFps: 1000});
		let resized = 0;
		writer.stream.on('resize', () => resized++);
		writer.stream.write('a\nb');
		out.columns = 30;
		out.emit('resize');
		expect(resized).toBe(1);
		expect(writer.stream.columns).toBe(30);
		writer.flush();
		writer.stream.write('a\nb');
		writer.flush();
		expect(out.writes.at(-1)).toContain('\x1b[2J');
		expect(out.writes.at(-1)).toContain('\x1b[1;1H\x1b[2Ka');
		writer.close();
	});
});
