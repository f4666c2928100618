/**
 * With a daemon running, other processes work through the catalogue (issue 7 §3): subcommands from another
 * process take effect in the daemon within a second (asserted from its NDJSON), and a ClientLibrary (what
 * the attached TUI renders) sees the daemon's progress move and the change to complete.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {createLogger, memorySink} from '../../source/core/log.js';
import {ClientLibrary} from '../../source/core/client-library.js';
import type {Progress} from '../../source/core/progress.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';
import {startTestServer, type TestServer} from '../support/server.js';
import {addImage, inProcess, isEvent, isoman, killChildren, listJson, partSize, runCli, startDaemon, type Daemon} from './helpers.js';
import {KiB, MiB} from '../support/sizes.js';


let lib: TempLibrary | undefined;
let server: TestServer | undefined;
let client: ClientLibrary | undefined;
afterEach(async () => {
	await client?.close();
	client = undefined;
	await killChildren();
	await server?.close();
	lib?.cleanup();
	lib = undefined;
	server = undefined;
});

/**
 * How long a command that opens the catalogue takes here on its own (node start-up, module loading, SQLite): taken
 * off the measured latencies, which are then the daemon's part.
 */
async function startupMs(dir: string): Promise<number> {
	const runs = [];
	for (let i = 0; i < 2; i++) runs.push((await isoman(dir, ['list'])).ms);
	return Math.min(...runs);
}

/**
 * Run `isoman <args>` while the daemon runs; returns the result and how long after the command started the
 * daemon printed the line `match` (less the process start-up time).
 */
async function commandEffect(daemon: Daemon, dir: string, args: string[], match: Parameters<Daemon['next']>[0], startup: number, expectCode = 0) {
	const from = daemon.lines.length;
	const started = Date.now();
	const [result, line] = await Promise.all([isoman(dir, args, expectCode), daemon.next(match, {from, what: `the effect of isoman ${args.join(' ')}`})]);
	return {result, line, latency: line.receivedAt - started - startup};
}

describe('a daemon and other processes', () => {
	it('pause, resume, cancel, retry, remove and add from other processes take effect in the daemon within a second', async () => {
		lib = tempLibrary();
		server = await startTestServer();
		const {dir} = lib;
		const startup = await startupMs(dir);
		const slow = ['/x/one-1.0-x86_64.iso', '/x/two-2.0-x86_64.iso'];
		for (const [i, file] of slow.entries()) await server.serve(file, {kind: 'generated', size: 8 * MiB, seed: 40 + i, fileType: 'iso'}, {throttleBps: 512 * KiB});
		const shaThree = await server.serve('/x/three-3.0-x86_64.iso', {kind: 'generated', size: 256 * KiB, seed: 42, fileType: 'iso'});
		const rows = inProcess(dir);
		const one = await rows.add({url: server.url(slow[0]!)});
		const two = await rows.add({url: server.url(slow[1]!)});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('downloading', one));
		await daemon.next(isEvent('downloading', two));
		await waitFor(() => partSize(dir, one) > 64 * KiB && partSize(dir, two) > 64 * KiB, {what: 'bytes in both .part files'});
		const latencies: Record<string, number> = {};

		// pause, by a unique prefix: the .part stays.
		const paused = await commandEffect(daemon, dir, ['pause', one.slice(0, 6)], isEvent('paused', one), startup);
		latencies['pause'] = paused.latency;
		expect(paused.line).toMatchObject({from: 'downloading', status: 'paused'});
		expect(paused.result.stdout).toMatch(new RegExp(`^${one}\\s+paused$`, 'm'));
		expect(partSize(dir, one)).toBeGreaterThan(0);
		expect(await rows.image(one)).toMatchObject({status: 'paused', downloaded_bytes: partSize(dir, one)});

		// remove: the row and the .part go.
		const removed = await commandEffect(daemon, dir, ['remove', two], isEvent('removed', two), startup);
		latencies['remove'] = removed.latency;
		expect(removed.result.stdout).toContain(`${two}  removed`);
		expect(partSize(dir, two)).toBe(-1);
		expect((await rows.images()).map(i => i.id)).toEqual([one]);

		// add: picked up and downloaded.
		const added = await commandEffect(daemon, dir, ['add', server.url('/x/three-3.0-x86_64.iso')], isEvent('added'), startup);
		latencies['add'] = added.latency;
		const three = added.result.stdout.trim();
		expect(added.line).toMatchObject({id: three, status: 'pending', name: 'three', version: '3.0'});
		await daemon.next(isEvent('complete', three));
		expect(await rows.image(three)).toMatchObject({status: 'complete', checksum: shaThree});

		// resume: continues from the .part with a Range request.
		const kept = partSize(dir, one);
		const resumed = await commandEffect(daemon, dir, ['resume', one], isEvent('pending', one), startup);
		latencies['resume'] = resumed.latency;
		await daemon.next(isEvent('downloading', one), {from: daemon.lines.indexOf(resumed.line)});
		await waitFor(() => server!.requestsFor(slow[0]!).length === 2, {what: 'the resume request'});
		expect(server.requestsFor(slow[0]!)[1]!.range).toBe(`bytes=${kept}-`);

		// cancel: failed/cancelled, the .part deleted.
		const cancelled = await commandEffect(daemon, dir, ['cancel', one], isEvent('failed', one), startup);
		latencies['cancel'] = cancelled.latency;
		expect(cancelled.line).toMatchObject({error_code: 'cancelled'});
		expect(cancelled.result.stdout).toContain(`${one}  failed (cancelled)`);
		expect(partSize(dir, one)).toBe(-1);

		// retry: queued again (and downloading again from 0).
		const retried = await commandEffect(daemon, dir, ['retry', one], isEvent('pending', one), startup);
		latencies['retry'] = retried.latency;
		expect(retried.line).toMatchObject({from: 'failed'});

		// A command the image's state does not allow is refused by the command itself, without waiting.
		const refused = await isoman(dir, ['resume', three], 1);
		expect(refused.stderr).toContain(`image ${three} is complete`);

		for (const [command, ms] of Object.entries(latencies)) expect(ms, `${command} took ${ms} ms after start-up`).toBeLessThan(5000);
		daemon.kill('SIGTERM');
		expect((await daemon.exited).code).toBe(0);
	});

	it('verify through the daemon: a flipped byte makes the image failed/corrupt and the command exit 1; retry fetches it again; a deleted file is missing', async () => {
		lib = tempLibrary();
		server = await startTestServer();
		const {dir} = lib;
		const sha = await server.serve('/v/vv-1.0-x86_64.iso', {kind: 'generated', size: 300 * KiB, seed: 50, fileType: 'iso'});
		const id = await inProcess(dir).add({url: server.url('/v/vv-1.0-x86_64.iso'), checksum: sha});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('complete', id));
		const ok = await isoman(dir, ['verify', id]);
		expect(ok.stdout).toMatch(new RegExp(`^${id}\\s+\\S.* ok\\b`, 'm'));

		const [image] = await inProcess(dir).images();
		const file = path.join(dir, 'images', image!.file_path);
		const bytes = fs.readFileSync(file);
		bytes[200 * KiB] = bytes[200 * KiB]! ^ 0xff;
		fs.writeFileSync(file, bytes);
		const from = daemon.lines.length;
		const corrupt = await isoman(dir, ['verify'], 1);
		expect(corrupt.stdout).toMatch(new RegExp(`^${id}\\s+\\S.* corrupt\\b`, 'm'));
		const line = await daemon.next(isEvent('failed', id), {from});
		expect(line).toMatchObject({level: 'error', from: 'complete', error_code: 'corrupt'});
		expect((await listJson(dir))[0]).toMatchObject({status: 'failed', error_code: 'corrupt'});
		// The file is kept for the user to decide.
		expect(fs.existsSync(file)).toBe(true);

		// retry downloads it again; then with the file deleted, verify finds it missing (twice: the second time the
		// command knows without asking the daemon).
		const again = daemon.lines.length;
		await isoman(dir, ['retry', id]);
		await daemon.next(isEvent('complete', id), {from: again});
		expect(server.requestsFor('/v/vv-1.0-x86_64.iso')).toHaveLength(2);
		fs.rmSync(file);
		const vanished = await isoman(dir, ['verify', id], 1);
		expect(vanished.stdout).toMatch(new RegExp(`^${id}\\s+\\S.* missing\\b`, 'm'));
		expect(await daemon.next(isEvent('missing', id), {from: again})).toMatchObject({from: 'complete'});
		expect((await isoman(dir, ['verify', id], 1)).stdout).toMatch(new RegExp(`^${id}\\s+\\S.* missing\\b`, 'm'));
		daemon.kill('SIGINT');
		expect((await daemon.exited).code).toBe(0);
	});

	it('a ClientLibrary over the daemon\'s library sees the download progress (under a second behind the rows) and then the change to complete', async () => {
		lib = tempLibrary();
		server = await startTestServer();
		const {dir, config} = lib;
		// Long enough (~6 s) for the daemon's second progress line, which comes 5 s after the first.
		const size = 12 * MiB;
		await server.serve('/p/prog-1.0-x86_64.iso', {kind: 'generated', size, seed: 60, fileType: 'iso'}, {throttleBps: 2 * MiB});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));

		client = new ClientLibrary({config, log: createLogger({level: 'debug', sink: memorySink()}), ownerPid: daemon.pid!});
		const seen: Array<{at: number; downloaded: number; total: number | null; lag: number}> = [];
		const changes: string[] = [];
		client.on('progress', (all: Progress[]) => {
			for (const p of all) {
				// How far behind the row the daemon wrote this event is.
				const row = client!.get(p.id);
				seen.push({at: Date.now(), downloaded: p.downloaded, total: p.total, lag: row ? Date.now() - Date.parse(row.updatedAt) : 0});
			}
		});
		const complete = new Promise<void>(resolve => {
			client!.on('change', change => {
				if (change.type !== 'removed') changes.push(`${change.type} ${change.image.status}`);
				if (change.type === 'updated' && change.image.status === 'complete') resolve();
			});
		});
		client.watch(250);

		// Added by another process while both watch.
		const id = await addImage(dir, server.url('/p/prog-1.0-x86_64.iso'));
		await complete;
		expect(changes[0]).toMatch(/^added (pending|downloading)$/);
		expect(changes.at(-1)).toBe('updated complete');
		const values = seen.map(s => s.downloaded);
		// Several distinct, increasing values while it downloads (the daemon writes the row once a second).
		expect(new Set(values).size, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
		for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
		expect(seen.at(-1)!.total).toBe(size);
		// Each move is shown soon after the daemon wrote it (polled every second; the bound leaves room for a loaded machine).
		const moves = seen.filter((s, i) => i > 0 && s.downloaded !== seen[i - 1]!.downloaded);
		for (const move of moves) expect(move.lag, JSON.stringify(seen)).toBeLessThan(5000);
		expect(client.get(id)!.status).toBe('complete');
		// The client never downloaded anything itself: one request, from the daemon.
		expect(server.requestsFor('/p/prog-1.0-x86_64.iso')).toHaveLength(1);

		// The daemon's own progress lines: at most one per 5 s for the download, with the numbers.
		const progress = daemon.lines.filter(isEvent('progress', id));
		expect(progress.length, JSON.stringify(progress)).toBeGreaterThanOrEqual(2);
		for (let i = 1; i < progress.length; i++) expect(Date.parse(progress[i]!.ts) - Date.parse(progress[i - 1]!.ts)).toBeGreaterThanOrEqual(4990);
		const moving = progress.find(p => (p['downloaded_bytes'] as number) > 0)!;
		expect(moving).toMatchObject({level: 'info', phase: 'downloading', size_bytes: size, stalled: false});
		expect(moving['progress']).toBe(Math.floor(((moving['downloaded_bytes'] as number) / size) * 1000) / 10);
		expect(moving['rate_bps']).toBeGreaterThan(0);
		expect(typeof moving['eta_seconds']).toBe('number');
		daemon.kill('SIGTERM');
		expect((await daemon.exited).code).toBe(0);
	});
});
