/**
 * End to end in tmux, the real dist/cli.js attached to a running daemon: the frame fits 80×24, grows to 120×40
 * (the details beside the list) and shrinks back without a line too long or too many; every active row shows
 * percent, speed and ETA at both sizes; q detaches (the TUI exits, the shell prompt is back) while the daemon keeps
 * the library and goes on downloading.
 */
import {spawn, spawnSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {openReader, readLock} from '../../source/core/index.js';
import {waitFor} from '../support/library.js';
import {cli, haveTmux, screen, tmux, tmuxFixture} from './tmux-fixture.js';

const MiB = 1024 * 1024;

async function until(session: string, check: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
	try {
		return await waitFor(() => {
			const text = screen(session);
			return check(text) ? text : undefined;
		}, {what, timeoutMs, intervalMs: 50});
	} catch (error) {
		throw new Error(`${(error as Error).message}\n--- screen ---\n${screen(session)}`);
	}
}

/** Lines with something on them, and the widest. */
function shape(text: string): {lines: number; widest: number} {
	const lines = text.replace(/\n+$/, '').split('\n');
	return {lines: lines.length, widest: Math.max(...lines.map(line => [...line].length))};
}

const ACTIVE = /\d+%\s+[\d.]+ [KMG]?i?B\/s\s+ETA \d/;

describe.skipIf(!haveTmux)('an attached TUI in tmux', () => {
	const fixture = tmuxFixture('resize');
	const {session} = fixture;

	it('fits 80×24, follows a resize to 120×40 and back, and q detaches while the daemon keeps downloading', async () => {
		for (const [i, name] of ['alpine-standard-3.20.3-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso'].entries()) {
			await fixture.server.serve(`/pub/${name}`, {kind: 'generated', size: 64 * MiB, seed: 20 + i, fileType: 'iso'}, {throttleBps: 512 * 1024});
			expect(spawnSync(process.execPath, [cli, '--data-dir', fixture.lib.dir, 'add', fixture.server.url(`/pub/${name}`)]).status).toBe(0);
		}

		const daemon = spawn(process.execPath, [cli, '--data-dir', fixture.lib.dir, '--daemon'], {stdio: 'ignore'});
		await waitFor(() => fixture.server.requests.filter(r => r.bytesSent > 256 * 1024).length >= 2, {what: 'both downloading', timeoutMs: 30_000});
		tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'LANG=C.UTF-8', 'bash --norc --noprofile');
		tmux('send-keys', '-t', session, '-l', `node ${cli} --data-dir ${fixture.lib.dir}; echo "EXIT=$?"`);
		tmux('send-keys', '-t', session, 'Enter');

		let text = await until(session, t => t.includes(`downloads run in daemon pid ${daemon.pid}`) && t.split('\n').filter(line => ACTIVE.test(line)).length >= 2, 'two active rows at 80×24');
		expect(shape(text).widest).toBeLessThanOrEqual(80);
		expect(shape(text).lines).toBeLessThanOrEqual(24);

		tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
		text = await until(session, t => shape(t).widest > 80 && t.includes('│ ') && t.split('\n').filter(line => ACTIVE.test(line)).length >= 2, 'the wide layout at 120×40');
		expect(shape(text).widest).toBeLessThanOrEqual(120);
		expect(shape(text).lines).toBeLessThanOrEqual(40);

		tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
		text = await until(session, t => shape(t).widest <= 80 && t.split('\n').filter(line => ACTIVE.test(line)).length >= 2, 'back to 80×24');
		expect(shape(text).lines).toBeLessThanOrEqual(24);

		// q: the TUI runs nothing itself, so it just detaches.
		const before = fixture.server.requests.reduce((sum, r) => sum + r.bytesSent, 0);
		tmux('send-keys', '-t', session, 'q');
		await until(session, t => /EXIT=0/.test(t), 'the TUI gone, the prompt back');
		expect(readLock(fixture.lib.dir)?.pid).toBe(daemon.pid);
		await waitFor(() => fixture.server.requests.reduce((sum, r) => sum + r.bytesSent, 0) > before + 512 * 1024, {what: 'the daemon still downloading', timeoutMs: 20_000});
		const reader = openReader(fixture.lib.config);
		try {
			expect(reader.list().map(image => image.status)).toEqual(['downloading', 'downloading']);
		} finally {
			await reader.close();
		}

		daemon.kill('SIGTERM');
	}, 120_000);
});
