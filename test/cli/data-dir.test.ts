/**
 * A wrong --data-dir gets one clean line and exit 2, never a stack trace or a busy loop, and commands that only
 * read never create a library where there is none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {runCli} from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});

function scratch(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-datadir-'));
	dirs.push(dir);
	return dir;
}

const oneLine = (text: string) => text.trim().split('\n').length === 1 && !/\n\s+at /.test(text);

describe('--data-dir', () => {
	it('pointing at a file: one line naming it, exit 2, for the TUI path, the daemon and commands', async () => {
		const file = path.join(scratch(), 'not-a-dir');
		fs.writeFileSync(file, 'x');
		for (const args of [['list'], ['add', 'http://127.0.0.1:9/a.iso'], ['--daemon']]) {
			const result = await runCli(['--data-dir', file, ...args]);
			expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
			expect(result.stderr).toContain(`${file} is not a directory (it is a file)`);
			expect(oneLine(result.stderr), result.stderr).toBe(true);
		}

		expect(fs.readFileSync(file, 'utf8')).toBe('x');
	});

	it('under /proc: a clean error at once, no busy loop', async () => {
		for (const dir of ['/proc/self/isoman', '/proc/1']) {
			for (const args of [['list'], ['--daemon'], ['add', 'http://127.0.0.1:9/a.iso']]) {
				const result = await runCli(['--data-dir', dir, ...args], {timeoutMs: 15_000});
				expect(result.signal, `${dir} ${args.join(' ')} hung`).toBeNull();
				expect(result.code, result.stderr).toBe(2);
				expect(oneLine(result.stderr), result.stderr).toBe(true);
				expect(result.stderr).toMatch(/proc virtual file system|no library at/);
			}
		}
	});

	it('read-only commands never create a library: a mistyped directory is named, and stays absent', async () => {
		const missing = path.join(scratch(), 'typo', 'library');
		for (const args of [['list'], ['list', '--json'], ['show', 'abc'], ['verify']]) {
			const result = await runCli(['--data-dir', missing, ...args]);
			expect(result.code, result.stderr).toBe(2);
			expect(result.stderr).toContain(`no library at ${missing} (the directory does not exist)`);
			expect(oneLine(result.stderr)).toBe(true);
		}

		expect(fs.existsSync(path.dirname(missing))).toBe(false);
		// An existing directory without a catalogue: an empty library for `list`, an error for the others; nothing
		// is created in it either way.
		const empty = scratch();
		expect((await runCli(['--data-dir', empty, 'list'])).stdout).toContain('The library is empty');
		expect((await runCli(['--data-dir', empty, 'list', '--json'])).stdout.trim()).toBe('[]');
		const show = await runCli(['--data-dir', empty, 'show', 'abc']);
		expect(show.code).toBe(2);
		expect(show.stderr).toContain('no isoman.db there');
		expect(fs.readdirSync(empty)).toEqual([]);
		// `add` creates it (nested levels too).
		const made = await runCli(['--data-dir', missing, 'add', 'http://127.0.0.1:9/pub/alpine-3.20.3-x86_64.iso']);
		expect(made.code, made.stderr).toBe(0);
		const listed = await runCli(['--data-dir', missing, 'list']);
		expect(listed.code).toBe(0);
		expect(listed.stdout).toContain('alpine');
	});
});
