import './helpers/env.js';
/**
 * The row cache (source/ui/ink-row-cache.ts) must draw every frame exactly as Ink's own Output.get does: random
 * frames of styled, multi-line, wide-character and overlapping writes, vertical clips (nested too), writes off the
 * grid and line transformers, each frame changing a few writes of the one before, so that rows are both reused and
 * redrawn. Frames with a sideways clip are drawn by Ink whole and must match too.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {inkGet, installInkRowCache, newOutput, restoreInkGet} from '../../source/ui/ink-row-cache.js';

type Op =
	| {kind: 'write'; x: number; y: number; text: string; transform: number}
	| {kind: 'clip'; y1: number; y2: number; x?: [number, number]}
	| {kind: 'unclip'};

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
	let a = seed;
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const PIECES = ['abc', 'isoman', ' ', '▾ ', '█░░', '…', '漢字', '🙂', 'e\u0301', '│', '42%', '  ', 'x86_64'];
const STYLES = [
	(s: string) => s,
	(s: string) => `\x1b[32m${s}\x1b[39m`,
	(s: string) => `\x1b[1m${s}\x1b[22m`,
	(s: string) => `\x1b[7m\x1b[33m${s}\x1b[39m\x1b[27m`,
	(s: string) => `\x1b[2m${s}\x1b[22m`,
];
const TRANSFORMS: Array<Array<(line: string, index: number) => string>> = [
	[],
	[line => `\x1b[36m${line}\x1b[39m`],
	[(line, index) => (index % 2 ? line.toUpperCase() : line), line => `\x1b[1m${line}\x1b[22m`],
];

function randomText(next: () => number): string {
	const lines = 1 + Math.floor(next() * 3);
	const out: string[] = [];
	for (let l = 0; l < lines; l++) {
		let line = '';
		const pieces = Math.floor(next() * 6);
		for (let p = 0; p < pieces; p++) line += STYLES[Math.floor(next() * STYLES.length)]!(PIECES[Math.floor(next() * PIECES.length)]!);
		out.push(line);
	}

	return out.join('\n');
}

function randomOp(next: () => number, width: number, height: number, sideways: boolean): Op {
	const r = next();
	if (r < 0.12) {
		const y1 = Math.floor(next() * height);
		const clip: Op = {kind: 'clip', y1, y2: y1 + Math.floor(next() * height)};
		if (sideways && next() < 0.5) clip.x = [Math.floor(next() * 5), 5 + Math.floor(next() * width)];
		return clip;
	}

	if (r < 0.2) return {kind: 'unclip'};
	return {kind: 'write', x: Math.floor(next() * (width + 4)) - 2, y: Math.floor(next() * (height + 4)) - 2, text: randomText(next), transform: Math.floor(next() * TRANSFORMS.length)};
}

function draw(ops: Op[], width: number, height: number, get: (output: ReturnType<typeof newOutput>) => {output: string; height: number}) {
	const output = newOutput(width, height) as ReturnType<typeof newOutput> & {clip(clip: object): void; unclip(): void};
	for (const op of ops) {
		if (op.kind === 'write') output.write(op.x, op.y, op.text, {transformers: TRANSFORMS[op.transform]!});
		else if (op.kind === 'clip') output.clip(op.x ? {x1: op.x[0], x2: op.x[1], y1: op.y1, y2: op.y2} : {y1: op.y1, y2: op.y2});
		else output.unclip();
	}

	return get(output);
}

describe('the row cache draws frames as Ink does', () => {
	beforeAll(() => installInkRowCache());
	afterAll(() => restoreInkGet());

	for (const sideways of [false, true]) {
		it(sideways ? 'frames with sideways clips (drawn by Ink whole)' : 'frames clipped only vertically, rows reused and redrawn', () => {
			let reused = 0;
			for (let seed = 1; seed <= 60; seed++) {
				const next = random(seed * (sideways ? 7919 : 1));
				const width = 8 + Math.floor(next() * 40);
				const height = 3 + Math.floor(next() * 12);
				let ops = Array.from({length: 3 + Math.floor(next() * 20)}, () => randomOp(next, width, height, sideways));
				let before = '';
				for (let frame = 0; frame < 12; frame++) {
					const expected = draw(ops, width, height, output => inkGet.call(output as never));
					const actual = draw(ops, width, height, output => (output as unknown as {get(): {output: string; height: number}}).get());
					expect(actual, `seed ${seed}, frame ${frame}, ${width}×${height}`).toEqual(expected);
					const lines = expected.output.split('\n');
					reused += lines.filter((line, i) => line !== '' && line === before.split('\n')[i]).length;
					before = expected.output;
					// The next frame: a few writes replaced, one added or dropped.
					ops = ops.map(op => (next() < 0.15 ? randomOp(next, width, height, sideways) : op));
					if (next() < 0.3) ops.push(randomOp(next, width, height, sideways));
					else if (ops.length > 2 && next() < 0.3) ops.splice(Math.floor(next() * ops.length), 1);
				}
			}

			// The sequences did exercise rows that stayed the same from one frame to the next.
			expect(reused).toBeGreaterThan(500);
		});
	}

	it('the same writes after a resize (a piece past the right edge lands where Ink puts it at the new width)', () => {
		const ops: Op[] = [
			{kind: 'write', x: 0, y: 0, text: 'left', transform: 0},
			{kind: 'write', x: 25, y: 0, text: '\x1b[32mpast\x1b[39m', transform: 0},
		];
		for (const width of [30, 20, 30, 20]) {
			const expected = draw(ops, width, 2, output => inkGet.call(output as never));
			expect(draw(ops, width, 2, output => (output as unknown as {get(): {output: string; height: number}}).get()), `width ${width}`).toEqual(expected);
		}
	});
});
