/**
 * End to end in tmux: a TUI attached to a daemon notices within a second or so when the daemon stops, says so on
 * a line that stays, takes the library over (nothing else holds it) and finishes the download itself.
 */
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import {describe, expect, it} from 'vitest';
import {openReader, readLock} from '../../source/core/index.js';
import {waitFor} from '../support/library.js';
import {cli, haveTmux, screen, tmux, tmuxFixture} from './tmux-fixture.js';

const MiB = 1024 * 1024;

describe.skipIf(!haveTmux)('an attached TUI whose daemon stops', () => {
	const fixture = tmuxFixture('attach');
	const {session} = fixture;

	it('says so at once, runs the downloads itself and finishes them', async () => {
		const file = '/pub/alpine-standard-3.20.3-x86_64.iso';
		const sha = await fixture.server.serve(file, {kind: 'generated', size: 16 * MiB, seed: 11, fileType: 'iso'}, {throttleBps: 2 * MiB});
		expect(spawnSync(process.execPath, [cli, '--data-dir', fixture.lib.dir, 'add', fixture.server.url(file), '--checksum', `sha256:${sha}`]).status).toBe(0);
		const daemon = spawn(process.execPath, [cli, '--data-dir', fixture.lib.dir, '--daemon'], {stdio: 'ignore'});
		await waitFor(() => (fixture.server.requestsFor(file)[0]?.bytesSent ?? 0) > 1 * MiB, {what: 'the daemon downloading', timeoutMs: 30_000});
		tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'LANG=C.UTF-8', `node ${cli} --data-dir ${fixture.lib.dir}`);
		await waitFor(() => screen(session).includes(`downloads run in daemon pid ${daemon.pid}`), {what: 'the attached TUI', timeoutMs: 20_000});

		const exited = new Promise(resolve => daemon.once('exit', resolve));
		daemon.kill('SIGTERM');
		await exited;
		const stoppedAt = Date.now();
		const text = await waitFor(() => {
			const t = screen(session);
			return t.includes('this TUI runs the downloads now') ? t : undefined;
		}, {what: 'the TUI to say it took over', timeoutMs: 15_000});
		const tookMs = Date.now() - stoppedAt;
		expect(text).not.toContain('downloads run in daemon');
		const holder = readLock(fixture.lib.dir);
		expect(holder?.role).toBe('tui');
		// From the daemon's exit: the client notices at its next 250 ms sync, then takes the lock and swaps (a second,
		// with room for a loaded machine).
		expect(tookMs).toBeLessThan(5000);

		const reader = openReader(fixture.lib.config);
		try {
			const done = await waitFor(() => {
				const image = reader.list()[0];
				return image && (image.status === 'complete' || image.status === 'failed') ? image : undefined;
			}, {what: 'the TUI to finish the download', timeoutMs: 60_000});
			expect(done.status, done.errorMessage ?? '').toBe('complete');
			expect(done.checksum).toBe(sha);
		} finally {
			await reader.close();
		}

		// The line stays after the download finished.
		const end = await waitFor(() => {
			const t = screen(session);
			return t.includes('✓ verified') && t.includes('this TUI runs the downloads now') ? t : undefined;
		}, {what: 'verified on screen, and the line back', timeoutMs: 15_000}).catch(error => {
			throw new Error(`${(error as Error).message}\n${screen(session)}`);
		});
		expect(end).toContain('x86_64');
		expect(fs.readFileSync(fixture.lib.config.logPath, 'utf8')).toMatch(/tui\.took_over/);
	}, 120_000);
});
