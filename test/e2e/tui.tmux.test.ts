/**
 * End to end: the real program in a real terminal (tmux) against the test server. Adds two images with the
 * keyboard, watches both reach "✓ verified", removes one through the confirm dialog, quits with q, and checks
 * the terminal was restored (alternate screen left, shell prompt back). Also: SIGTERM restores the terminal.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Manager} from '../../source/core/manager.js';
import {silentLogger} from '../../source/core/log.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {MiB} from '../support/sizes.js';

const haveTmux = spawnSync('tmux', ['-V']).status === 0;
const cli = path.resolve('dist/cli.js');

function tmux(...args: string[]): string {
	return execFileSync('tmux', args, {encoding: 'utf8'});
}

/** `EXIT=n` printed by the shell after isoman, then the shell's prompt on the next line. */
const PROMPT_AFTER_EXIT = /^EXIT=\d+\s*\n[^\n]*[#$] *$/m;

const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);
const alternateOn = (session: string) => tmux('display-message', '-p', '-t', session, '#{alternate_on}').trim() === '1';

async function until(session: string, predicate: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
	try {
		return await waitFor(() => {
			const text = screen(session);
			return predicate(text) ? text : undefined;
		}, {timeoutMs, intervalMs: 50, what});
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- screen ---\n${screen(session)}`);
	}
}

function startSession(session: string, dataDir: string, width = 120, height = 32): void {
	// A plain shell, so "the prompt is back" can be checked.
	tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), '-e', 'LANG=C.UTF-8', 'bash --norc --noprofile');
	tmux('send-keys', '-t', session, '-l', `node ${cli} --data-dir ${dataDir}; echo "EXIT=$?"`);
	tmux('send-keys', '-t', session, 'Enter');
}

describe.skipIf(!haveTmux)('the TUI in tmux', () => {
	let server: TestServer;
	let lib: TempLibrary;
	const sessions: string[] = [];
	beforeAll(async () => {
		server = await startTestServer();
		if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first');
	});
	afterAll(async () => {
		for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
		await server.close();
		lib?.cleanup();
	});

	it('adds two images with the keyboard, sees them verified, removes one, quits and restores the terminal', async () => {
		lib = tempLibrary();
		const shaA = await server.serve('/pub/alpine-standard-3.20.3-x86_64.iso', {kind: 'generated', size: 6 * MiB, seed: 1, fileType: 'iso'}, {throttleBps: 8 * MiB});
		const shaB = await server.serve('/pub/debian-12.7.0-amd64-netinst.iso', {kind: 'generated', size: 6 * MiB, seed: 2, fileType: 'iso'}, {throttleBps: 8 * MiB});
		await server.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(`${shaB}  debian-12.7.0-amd64-netinst.iso\n`)});
		const session = `isoman-e2e-${process.pid}`;
		sessions.push(session);
		startSession(session, lib.dir);
		await until(session, t => t.includes('a add') || t.includes('empty'), 'the TUI to start');
		expect(alternateOn(session)).toBe(true);

		// First image: URL plus a literal digest in the checksum field (the 7th field, after URL, Type, Name, Version, Arch, Edition).
		tmux('send-keys', '-t', session, 'a');
		await until(session, t => t.includes('URL'), 'the add form');
		tmux('send-keys', '-t', session, '-l', server.url('/pub/alpine-standard-3.20.3-x86_64.iso'));
		await until(session, t => t.includes('alpine-standard') && t.includes('3.20.3'), 'name and version filled from the URL');
		for (let i = 0; i < 6; i++) tmux('send-keys', '-t', session, 'Tab');
		tmux('send-keys', '-t', session, '-l', `sha256:${shaA}`);
		tmux('send-keys', '-t', session, 'Enter');
		await until(session, t => t.includes('Added'), 'the "Added" message');

		// Second image: checksum from the publisher's file.
		tmux('send-keys', '-t', session, 'a');
		await until(session, t => t.includes('URL') && !t.includes('Added alpine'), 'the add form again', 10_000).catch(async () => until(session, t => t.includes('URL'), 'the add form'));
		tmux('send-keys', '-t', session, '-l', server.url('/pub/debian-12.7.0-amd64-netinst.iso'));
		for (let i = 0; i < 6; i++) tmux('send-keys', '-t', session, 'Tab');
		tmux('send-keys', '-t', session, '-l', server.url('/pub/SHA256SUMS'));
		tmux('send-keys', '-t', session, 'Enter');

		const reader = new Manager({config: lib.config, log: silentLogger});
		try {
			await waitFor(() => reader.list().length === 2 && reader.list().every(i => i.status === 'complete'), {timeoutMs: 60_000, what: 'both complete in the catalogue'});
			const verified = await until(session, t => (t.match(/✓ verified/g) ?? []).length >= 2, 'two "✓ verified" rows');
			expect(verified).toContain('alpine-standard');
			expect(verified).toContain('debian');

			// Remove the selected file through the dialog: it names the file and defaults to No.
			tmux('send-keys', '-t', session, 'G');
			tmux('send-keys', '-t', session, 'D');
			const dialog = await until(session, t => /remove/i.test(t) && t.includes('MiB'), 'the remove dialog');
			expect(dialog).toMatch(/\.iso/);
			tmux('send-keys', '-t', session, 'y');
			await waitFor(() => reader.list().length === 1, {what: 'one image left'});
			const left = reader.list()[0]!;
			// The row goes first, then its files.
			const isoFiles = () => fs.readdirSync(lib.config.imagesDir, {recursive: true}).map(String).filter(f => f.endsWith('.iso'));
			await waitFor(() => isoFiles().length === 1, {what: 'the removed image file to be deleted'});
			expect(isoFiles()).toEqual([left.filePath]);
		} finally {
			await reader.close();
		}

		tmux('send-keys', '-t', session, 'q');
		const after = await until(session, t => PROMPT_AFTER_EXIT.test(t) && t.includes('EXIT=0'), 'the shell prompt back');
		expect(alternateOn(session)).toBe(false);
		expect(after).not.toContain('a add');
	}, 120_000);

	it('SIGTERM restores the terminal', async () => {
		const other = tempLibrary();
		try {
			const session = `isoman-e2e-term-${process.pid}`;
			sessions.push(session);
			startSession(session, other.dir, 80, 24);
			await until(session, t => t.includes('a add') || t.includes('empty'), 'the TUI to start');
			expect(alternateOn(session)).toBe(true);
			const pid = tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim();
			// The shell's only child is isoman (it names its process "isoman").
			const child = execFileSync('pgrep', ['-P', pid], {encoding: 'utf8'}).trim().split('\n')[0]!;
			process.kill(Number(child), 'SIGTERM');
			await until(session, t => PROMPT_AFTER_EXIT.test(t), 'the shell prompt back');
			expect(alternateOn(session)).toBe(false);
		} finally {
			other.cleanup();
		}
	});
});
