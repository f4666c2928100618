/**
 * Ink draws each frame into a grid of cells (`Output.get`): it tokenises every line of the screen into styled
 * characters, places them one by one and turns every row back into a string, on every frame, even when two rows
 * of thirty changed — and the cache it keeps for this is thrown away with each frame. In the TUI that was half of
 * a frame's CPU and most of its garbage (bench/README.md, "Cheaper frames"). This module keeps the finished rows
 * from one frame to the next.
 *
 * It replaces Ink's `Output.prototype.get` with one that works out what is written to each row (the same clipping,
 * transformers and skipping as Ink's, for frames whose boxes clip only vertically), and reuses the row's string when
 * the same pieces are written to it as in the frame before; a row that changed is drawn by Ink's own `get` on a
 * one-row Output, so every character is placed exactly as Ink places it. A frame with a box clipped sideways
 * (`overflow` or `overflowX` hidden; the TUI's boxes clip only vertically) is drawn by Ink's `get` whole. The rows
 * kept are those of the last frame: nothing grows with time.
 *
 * Ink does not export `Output`: it is loaded from Ink's build directory (the module Ink itself uses).
 * test/ui/ink-row-cache.test.ts checks that the rows come out as Ink's own `get` makes them.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

type Transformer = (line: string, index: number) => string;
type Clip = {x1?: number; x2?: number; y1?: number; y2?: number};
type Operation = {type: 'write'; x: number; y: number; text: string; transformers: Transformer[]} | {type: 'clip'; clip: Clip} | {type: 'unclip'};
type OutputInstance = {width: number; height: number; operations: Operation[]; write(x: number, y: number, text: string, options: {transformers: Transformer[]}): void};
type OutputClass = {new (options: {width: number; height: number}): OutputInstance; prototype: {get(this: OutputInstance): {output: string; height: number}}};

const inkEntry = createRequire(import.meta.url).resolve('ink');
const Output = ((await import(pathToFileURL(path.join(path.dirname(inkEntry), 'output.js')).href)) as {default: OutputClass}).default;

/** Ink's own `get`, kept for rows that changed and for frames it must draw whole. */
export const inkGet = Output.prototype.get;

/** The rows of the previous frame and of this one: the pieces written to a row (its key) → the row as Ink draws it. */
let previous = new Map<string, string>();

/** What is written to each row, or undefined when a box clips sideways (then Ink draws the frame whole). */
function rowWrites(output: OutputInstance): Array<Array<{x: number; line: string}>> | undefined {
	const rows: Array<Array<{x: number; line: string}>> = Array.from({length: output.height}, () => []);
	const clips: Clip[] = [];
	for (const operation of output.operations) {
		if (operation.type === 'clip') {
			if (typeof operation.clip.x1 === 'number' || typeof operation.clip.x2 === 'number') return undefined;
			clips.push(operation.clip);
			continue;
		}

		if (operation.type === 'unclip') {
			clips.pop();
			continue;
		}

		let {y} = operation;
		let lines = operation.text.split('\n');
		const clip = clips.at(-1);
		if (clip && typeof clip.y1 === 'number' && typeof clip.y2 === 'number') {
			if (y + lines.length < clip.y1 || y > clip.y2) continue;
			const from = y < clip.y1 ? clip.y1 - y : 0;
			const to = y + lines.length > clip.y2 ? clip.y2 - y : lines.length;
			lines = lines.slice(from, to);
			if (y < clip.y1) y = clip.y1;
		}

		// As in Ink: a text whose first row is off the grid is dropped whole, and its lines stop at the last row.
		if (rows[y] === undefined) continue;
		for (let index = 0; index < lines.length && y + index < output.height; index++) {
			let line = lines[index]!;
			for (const transformer of operation.transformers) line = transformer(line, index);
			rows[y + index]!.push({x: operation.x, line});
		}
	}

	return rows;
}

function cachedGet(this: OutputInstance): {output: string; height: number} {
	const rows = rowWrites(this);
	if (rows === undefined) return inkGet.call(this);
	const current = new Map<string, string>();
	const out: string[] = [];
	for (const writes of rows) {
		// The width is part of the key: Ink's rows start as `width` blank cells, and a piece past them moves left.
		let key = `${this.width}\u0002`;
		for (const {x, line} of writes) key += `${x}\u0000${line}\u0001`;
		let text = current.get(key) ?? previous.get(key);
		if (text === undefined) {
			const row = new Output({width: this.width, height: 1});
			for (const {x, line} of writes) row.write(x, 0, line, {transformers: []});
			text = inkGet.call(row).output;
		}

		current.set(key, text);
		out.push(text);
	}

	previous = current;
	return {output: out.join('\n'), height: rows.length};
}

/** Installs the row cache into Ink (once per process; the TUI and its tests). */
export function installInkRowCache(): void {
	Output.prototype.get = cachedGet;
}

/** Ink's own drawing again (the equivalence test compares the two). */
export function restoreInkGet(): void {
	Output.prototype.get = inkGet;
	previous = new Map();
}

/** A one-off Output, for the equivalence test. */
export function newOutput(width: number, height: number): OutputInstance {
	return new Output({width, height});
}
