import './helpers/env.js';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Progress} from '../../source/core/index.js';
import {Header, spinnerFrame} from '../../source/ui/components/header.js';
import type {LibrarySnapshot} from '../../source/ui/store.js';
import {createTheme} from '../../source/ui/theme.js';
import {image} from './helpers/image.js';

const theme = createTheme({color: false, ascii: false});
const active = image('alpine', '3.20.3', {status: 'downloading'});
const progress: Progress = {id: active.id, phase: 'downloading', downloaded: 1, total: 10, rate: 1, eta: 9, stalled: false};

function snapshot(revision: number): LibrarySnapshot {
	return {images: [active], byId: new Map([[active.id, active]]), progress: new Map([[active.id, progress]]), revision, maxRate: 0};
}

const header = (revision: number) => <Header snapshot={snapshot(revision)} dataDir="/lib" free={1e9} filter="" daemonPid={undefined} owner width={100} theme={theme} spinners />;
// eslint-disable-next-line no-control-regex
const glyph = (frame: string | undefined) => /isoman │ (\S) 1 active/.exec((frame ?? '').replace(/\x1b\[[0-9;]*m/g, ''))?.[1];

describe('the header spinner', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it('advances one frame per published snapshot, and only then', () => {
		vi.useFakeTimers();
		const {lastFrame, rerender, frames, unmount} = render(header(1));
		const first = glyph(lastFrame());
		expect(first).toBe(spinnerFrame(false, 1));
		// Re-rendered with the same snapshot (a key press, say): the same frame.
		rerender(header(1));
		expect(glyph(lastFrame())).toBe(first);
		rerender(header(2));
		expect(glyph(lastFrame())).toBe(spinnerFrame(false, 2));
		expect(spinnerFrame(false, 2)).not.toBe(first);
		// No timer of its own: a second without a snapshot draws nothing (ink-spinner drew 12 frames).
		const drawn = frames.length;
		vi.advanceTimersByTime(1000);
		expect(frames.length).toBe(drawn);
		expect(glyph(lastFrame())).toBe(spinnerFrame(false, 2));
		unmount();
	});

	it('uses ASCII frames with --ascii and cycles through them', () => {
		expect([0, 1, 2, 3, 4].map(r => spinnerFrame(true, r))).toEqual(['-', '\\', '|', '/', '-']);
	});
});
