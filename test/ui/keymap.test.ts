import fs from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {BINDINGS, bindingFor, footerHints, keyTableMarkdown, MODE_TITLES, type Mode} from '../../source/ui/keymap.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const START = '<!-- keys:start -->';
const END = '<!-- keys:end -->';

describe('binding table', () => {
	it("README's key table is the one generated from the table (UPDATE_README_KEYS=1 rewrites it)", () => {
		const readme = fs.readFileSync(README, 'utf8');
		const a = readme.indexOf(START);
		const b = readme.indexOf(END);
		expect(a).toBeGreaterThanOrEqual(0);
		expect(b).toBeGreaterThan(a);
		const expected = `${START}\n${keyTableMarkdown()}\n${END}`;
		if (process.env['UPDATE_README_KEYS'] === '1') fs.writeFileSync(README, readme.slice(0, a) + expected + readme.slice(b + END.length));
		const section = fs.readFileSync(README, 'utf8').slice(a, fs.readFileSync(README, 'utf8').indexOf(END) + END.length);
		expect(section).toBe(expected);
	});

	it('binds a key at most once per mode', () => {
		for (const mode of Object.keys(MODE_TITLES) as Mode[]) {
			const seen = new Map<string, string>();
			for (const binding of BINDINGS) {
				if (binding.modes !== 'all' && !binding.modes.includes(mode)) continue;
				for (const key of binding.keys) {
					expect(seen.get(key), `${mode}: ${key}`).toBeUndefined();
					seen.set(key, binding.action);
				}
			}
		}
	});

	it('leaves letters to the text in the filter and the form, and Ctrl-C quits everywhere', () => {
		for (const mode of ['filter', 'form'] as const) {
			for (const letter of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/?:.-_ ') {
				expect(bindingFor(mode, letter), `${mode}: ${letter}`).toBeUndefined();
			}
		}

		for (const mode of Object.keys(MODE_TITLES) as Mode[]) expect(bindingFor(mode, 'ctrl+c')?.action).toBe('forceQuit');
		expect(bindingFor('normal', 'delete')?.action).toBe('remove');
		expect(bindingFor('normal', 'backspace')).toBeUndefined();
	});

	it('cuts footer hints at a whole hint within the width, keeping help and quit at every width', () => {
		const full = footerHints('normal', 500);
		expect(full).toContain('q quit');
		const hints = full.split('  ');
		for (const width of [20, 40, 80]) {
			const line = footerHints('normal', width);
			expect([...line].length).toBeLessThanOrEqual(width);
			expect(line.endsWith('?/F1 help  q quit'), line).toBe(true);
			for (const hint of line.split('  ')) expect(hints).toContain(hint);
		}

		expect(footerHints('normal', 200, true)).toContain('Up/Down move');
	});
});
