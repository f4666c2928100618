/**
 * `isoman edit` while a daemon holds the library: the daemon carries every edit out (its log names each one as a
 * command it did or refused) and what the command prints and exits with is the daemon's real reply — the moved
 * image, "unchanged", the owner's refusal with its reason (exit 1), a taken identity (exit 3 with the existing id),
 * a bad field (exit 2 naming it), a failed image re-queued with a new URL and then downloaded by the daemon.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {logRecords} from '../server/helpers.js';
import {waitFor} from '../support/library.js';
import {isEvent, isoman, KiB, MiB, startDaemon, withLibraryAndServer} from './helpers.js';

const ctx = withLibraryAndServer();

describe('isoman edit through a running daemon', () => {
	it('prints the daemon\'s reply for every outcome, and the daemon is the one that acted', async () => {
		const {dir, server} = await ctx.setUp();
		await server.serve('/p/alpha-1.0-x86_64.iso', {kind: 'generated', size: 256 * KiB, seed: 61, fileType: 'iso'});
		await server.serve('/p/beta-1.0-x86_64.iso', {kind: 'generated', size: 128 * KiB, seed: 62, fileType: 'iso'});
		await server.serve('/p/slow-1.0-x86_64.iso', {kind: 'generated', size: 16 * MiB, seed: 63, fileType: 'iso'}, {throttleBps: 256 * KiB});
		await server.serve('/p/gone-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 410}]});
		await server.serve('/p/gamma-1.0-x86_64.iso', {kind: 'generated', size: 64 * KiB, seed: 64, fileType: 'iso'});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'), {what: 'the daemon to start'});
		const add = async (file: string) => (await isoman(dir, ['add', server.url(file)])).stdout.trim();
		const alpha = await add('/p/alpha-1.0-x86_64.iso');
		const beta = await add('/p/beta-1.0-x86_64.iso');
		const slow = await add('/p/slow-1.0-x86_64.iso');
		const gone = await add('/p/gone-1.0-x86_64.iso');
		await daemon.next(isEvent('complete', alpha));
		await daemon.next(isEvent('complete', beta));
		await daemon.next(isEvent('downloading', slow));
		await daemon.next(isEvent('failed', gone));
		const images = path.join(dir, 'images');

		// A complete image renamed: the file and sidecar move, the old directories go.
		const moved = await isoman(dir, ['edit', alpha.slice(0, 6), '--version', '1.1']);
		expect(moved.stdout.trim()).toBe(`${alpha}  unverified  alpha/1.1/x86_64/alpha-1.1-x86_64.iso (was alpha/1.0/x86_64/alpha-1.0-x86_64.iso)`);
		expect(fs.existsSync(path.join(images, 'alpha/1.1/x86_64/alpha-1.1-x86_64.iso'))).toBe(true);
		expect(fs.existsSync(path.join(images, 'alpha/1.1/x86_64/alpha-1.1-x86_64.iso.sha256'))).toBe(true);
		expect(fs.existsSync(path.join(images, 'alpha/1.0'))).toBe(false);

		// The same values again: nothing to do, and it says so.
		expect((await isoman(dir, ['edit', alpha, '--version', '1.1'])).stdout.trim()).toBe(`${alpha}  unchanged`);

		// Another image's identity: exit 3 and the existing id on stdout.
		const taken = await isoman(dir, ['edit', beta, '--name', 'alpha', '--version', '1.1'], 3);
		expect(taken.stdout.trim()).toBe(alpha);
		expect(taken.stderr).toMatch(/already/);

		// A stray file (not in the library) at the new path: the daemon refuses, naming it, and touches nothing.
		fs.mkdirSync(path.join(images, 'beta/2.0/x86_64'), {recursive: true});
		fs.writeFileSync(path.join(images, 'beta/2.0/x86_64/beta-2.0-x86_64.iso'), 'not ours');
		const stray = await isoman(dir, ['edit', beta, '--version', '2.0'], 1);
		expect(stray.stderr).toContain('a file already exists at beta/2.0/x86_64/beta-2.0-x86_64.iso');
		expect(fs.readFileSync(path.join(images, 'beta/2.0/x86_64/beta-2.0-x86_64.iso'), 'utf8')).toBe('not ours');
		expect(fs.existsSync(path.join(images, 'beta/1.0/x86_64/beta-1.0-x86_64.iso'))).toBe(true);

		// A downloading image: refused with the rules' reason; the download goes on.
		const busy = await isoman(dir, ['edit', slow, '--version', '2.0'], 1);
		expect(busy.stderr).toMatch(new RegExp(`image ${slow} is downloading`));

		// A bad value: exit 2 naming the field and the rule.
		const bad = await isoman(dir, ['edit', beta, '--version', 'a b'], 2);
		expect(bad.stderr).toMatch(/version/);

		// A failed image given a new URL: queued again, and the daemon downloads it from there.
		const requeued = await isoman(dir, ['edit', gone, '--url', server.url('/p/gamma-1.0-x86_64.iso'), '--json']);
		expect(JSON.parse(requeued.stdout)).toMatchObject({id: gone, status: 'pending', download_url: server.url('/p/gamma-1.0-x86_64.iso')});
		await daemon.next(isEvent('complete', gone), {timeoutMs: 30_000});

		// Every one of those edits was a command the daemon carried out or refused (the CLI never holds the library).
		await waitFor(() => logRecords(dir).filter(r => (r['event'] === 'command.done' || r['event'] === 'command.failed') && r['action'] === 'edit').length >= 7, {
			what: 'the daemon to log the seven edits',
		});
		const edits = logRecords(dir).filter(r => (r['event'] === 'command.done' || r['event'] === 'command.failed') && r['action'] === 'edit');
		expect(edits.map(r => r['event'])).toEqual(['command.done', 'command.done', 'command.failed', 'command.failed', 'command.failed', 'command.failed', 'command.done']);
		expect((await isoman(dir, ['show', slow, '--json'])).stdout).toContain('"status": "downloading"');
	});
});
