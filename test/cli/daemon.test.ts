/**
 * `isoman --daemon` as a real child process (issue 7 acceptance): the queue end to end with --exit-when-idle,
 * SIGTERM during downloads and resume with Range, one downloader per library (a held lock, a stale one after
 * SIGKILL). Everything is awaited from the daemon's NDJSON stdout or the test server's request log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {waitFor} from '../support/library.js';
import {IMAGE_FIELDS, addImage, fakeLock, inProcess, isEvent, isoman, listJson, partSize, runCli, startDaemon, type DaemonLine, KiB, MiB, ISO_TIME, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();
const setUp = async () => library.setUp();

/** Every line has the common shape: ts (ISO UTC), level, event. */
function expectWellFormed(lines: DaemonLine[]) {
	for (const line of lines) {
		expect(line.event, JSON.stringify(line)).not.toBe('(not json)');
		expect(line.ts).toMatch(ISO_TIME);
		expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
		expect(typeof line.event).toBe('string');
	}
}

describe('isoman --daemon', () => {
	it('adds three images (invalid → 2 naming the field, duplicate → 3 with the existing id), downloads the queue with --exit-when-idle, and list --json has every image complete with the right fields', async () => {
		const {dir, server} = await setUp();
		const shaA = await server.serve('/pub/alpine-standard-3.20.3-x86_64.iso', {kind: 'generated', size: 1 * MiB + 123, seed: 1, fileType: 'iso'});
		const shaB = await server.serve('/pub/debian-12.5.0-amd64-netinst.iso', {kind: 'generated', size: 768 * KiB, seed: 2, fileType: 'iso'});
		await server.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(`${shaB}  debian-12.5.0-amd64-netinst.iso\n`)});
		const shaC = await server.serve('/pub/disk.qcow2', {kind: 'generated', size: 512 * KiB, seed: 3, fileType: 'qcow2'});

		const a = await addImage(dir, server.url('/pub/alpine-standard-3.20.3-x86_64.iso'), ['--checksum', `sha256:${shaA}`]);
		const b = await addImage(dir, server.url('/pub/debian-12.5.0-amd64-netinst.iso'), ['--checksum-url', server.url('/pub/SHA256SUMS')]);
		// Invalid: nothing in "disk.qcow2" tells a version, and none is given.
		const invalid = await runCli(['--data-dir', dir, 'add', server.url('/pub/disk.qcow2'), '--name', 'My Disk']);
		expect(invalid.code).toBe(2);
		expect(invalid.stderr).toMatch(/\bversion\b/);
		const c = await addImage(dir, server.url('/pub/disk.qcow2'), ['--name', 'My Disk', '--version', '1.0']);
		// Duplicate: the same identity again, from another URL.
		const duplicate = await runCli(['--data-dir', dir, 'add', server.url('/mirror/alpine-standard-3.20.3-x86_64.iso')]);
		expect(duplicate.code).toBe(3);
		expect(duplicate.stdout.trim()).toBe(a);
		expect(duplicate.stderr).toContain(a);

		const daemon = startDaemon(dir, ['--exit-when-idle']);
		const started = await daemon.next(isEvent('started'));
		expect(started).toMatchObject({level: 'info', pid: daemon.pid});
		for (const id of [a, b, c]) await daemon.next(isEvent('complete', id), {what: `${id} complete`});
		const exit = await daemon.exited;
		expect(exit.code, daemon.stderr()).toBe(0);

		const lines = daemon.lines;
		expectWellFormed(lines);
		expect(lines.at(-1)).toMatchObject({event: 'stopped', exit_code: 0});
		// Each state change exactly once per image, in order.
		for (const id of [a, b, c]) {
			const changes = lines.filter(l => l.id === id && l.event !== 'progress').map(l => l.event);
			expect(changes, id).toEqual(['downloading', 'verifying', 'complete']);
			const complete = lines.find(isEvent('complete', id))!;
			expect(complete).toMatchObject({level: 'info', from: 'verifying', status: 'complete'});
		}

		expect(lines.find(isEvent('complete', a))).toMatchObject({verified: true, checksum: shaA});
		expect(lines.find(isEvent('complete', c))).toMatchObject({verified: false, checksum: shaC});

		const images = await listJson(dir);
		expect(images).toHaveLength(3);
		const byId = new Map(images.map(i => [i.id, i]));
		for (const image of images) {
			expect(Object.keys(image)).toEqual(IMAGE_FIELDS);
			expect(image).toMatchObject({status: 'complete', progress: 100, error_code: null, error_message: null, checksum_type: 'sha256'});
			expect(image.downloaded_bytes).toBe(image.size_bytes);
			expect(image.created_at).toMatch(ISO_TIME);
			expect(image.completed_at).toMatch(ISO_TIME);
			expect(path.isAbsolute(image.file_path)).toBe(false);
			expect(path.basename(image.file_path)).toBe(image.filename);
			const file = path.join(dir, 'images', image.file_path);
			expect(fs.statSync(file).size).toBe(image.size_bytes);
		}

		expect(byId.get(a)).toMatchObject({
			name: 'alpine-standard',
			version: '3.20.3',
			arch: 'x86_64',
			edition: null,
			file_type: 'iso',
			file_path: 'alpine-standard/3.20.3/x86_64/alpine-standard-3.20.3-x86_64.iso',
			size_bytes: 1 * MiB + 123,
			checksum: shaA,
			expected_checksum: shaA,
			checksum_url: null,
			download_url: server.url('/pub/alpine-standard-3.20.3-x86_64.iso'),
		});
		expect(byId.get(b)).toMatchObject({name: 'debian', version: '12.5.0', arch: 'x86_64', checksum: shaB, expected_checksum: shaB, checksum_url: server.url('/pub/SHA256SUMS')});
		expect(byId.get(c)).toMatchObject({name: 'my-disk', version: '1.0', file_type: 'qcow2', checksum: shaC, expected_checksum: null, size_bytes: 512 * KiB});
		// The sidecar names the local file, in coreutils format.
		expect(fs.readFileSync(path.join(dir, 'images', byId.get(a)!.file_path + '.sha256'), 'utf8')).toBe(`${shaA}  alpine-standard-3.20.3-x86_64.iso\n`);
		// The lock was released on exit.
		expect(fs.existsSync(path.join(dir, 'isoman.lock'))).toBe(false);
	});

	it('--exit-when-idle exits 1 when an image it processed failed (and 0 at once on an empty queue)', async () => {
		const {dir, server} = await setUp();
		const empty = startDaemon(dir, ['--exit-when-idle']);
		expect((await empty.exited).code).toBe(0);
		expect(empty.lines.map(l => l.event)).toEqual(['started', 'stopping', 'stopped']);

		await server.serve('/ok/tiny-1.0-x86_64.iso', {kind: 'generated', size: 256 * KiB, seed: 9, fileType: 'iso'});
		const ok = await inProcess(dir).add({url: server.url('/ok/tiny-1.0-x86_64.iso')});
		const gone = await inProcess(dir).add({url: server.url('/gone/ghost-1.0-x86_64.iso')});
		const daemon = startDaemon(dir, ['--exit-when-idle']);
		const failed = await daemon.next(isEvent('failed', gone));
		expect(failed).toMatchObject({level: 'error', error_code: 'http_status', from: 'downloading'});
		expect(String(failed['error_message'])).toContain('404');
		const exit = await daemon.exited;
		expect(exit.code).toBe(1);
		expect(daemon.lines.find(isEvent('stopping'))!['reason']).toContain(gone);
		expect(daemon.lines.some(isEvent('complete', ok))).toBe(true);
	});

	it('SIGTERM during downloads: exit 0 within 5 s, rows pending with their .part kept; the next daemon resumes them with Range requests', async () => {
		const {dir, server} = await setUp();
		const files = ['/s/first-1.0-x86_64.iso', '/s/second-2.0-x86_64.iso'];
		const shas = await Promise.all(files.map(async (file, i) => server.serve(file, {kind: 'generated', size: 6 * MiB, seed: 20 + i, fileType: 'iso'}, {throttleBps: 1 * MiB})));
		const ids: string[] = [];
		for (const file of files) ids.push(await inProcess(dir).add({url: server.url(file)}));

		const daemon = startDaemon(dir);
		for (const id of ids) await daemon.next(isEvent('downloading', id));
		// Some bytes of each on disk.
		await waitFor(() => ids.every(id => partSize(dir, id) >= 128 * KiB), {what: '128 KiB in each .part'});
		const signalledAt = Date.now();
		daemon.kill('SIGTERM');
		const exit = await daemon.exited;
		expect(exit.code, daemon.stderr()).toBe(0);
		expect(exit.at - signalledAt).toBeLessThan(5000);
		const tail = daemon.lines.filter(l => l.receivedAt >= signalledAt).map(l => `${l.event}${l.id ? ' ' + l.id : ''}`);
		expect(tail[0]).toBe('stopping');
		expect(tail.at(-1)).toBe('stopped');
		expect(tail).toEqual(expect.arrayContaining(ids.map(id => `pending ${id}`)));
		expect(fs.existsSync(path.join(dir, 'isoman.lock'))).toBe(false);

		const parts = new Map<string, number>();
		for (const image of await listJson(dir)) {
			// A shutdown returns active downloads to the queue (paused is only ever the user's choice).
			expect(image.status).toBe('pending');
			const size = partSize(dir, image.id);
			expect(size).toBeGreaterThan(0);
			expect(image.downloaded_bytes).toBe(size);
			expect(image.size_bytes).toBe(6 * MiB);
			expect(image.progress).toBe(Math.floor((size / (6 * MiB)) * 1000) / 10);
			expect(image.progress).toBeGreaterThan(0);
			expect(image.progress).toBeLessThan(100);
			parts.set(image.id, size);
		}

		for (const file of files) server.setFaults(file, {});
		const next = startDaemon(dir, ['--exit-when-idle']);
		expect((await next.exited).code, next.stderr()).toBe(0);
		const images = await listJson(dir);
		for (const [i, file] of files.entries()) {
			const image = images.find(x => x.id === ids[i])!;
			expect(image).toMatchObject({status: 'complete', checksum: shas[i], size_bytes: 6 * MiB});
			const requests = server.requestsFor(file);
			expect(requests).toHaveLength(2);
			expect(requests[0]!.range).toBeUndefined();
			expect(requests[1]).toMatchObject({range: `bytes=${parts.get(ids[i]!)}-`, status: 206});
			expect(requests[1]!.ifRange).toBeTruthy();
		}

		expect(fs.readdirSync(path.join(dir, 'images', '.tmp'))).toEqual([]);
	});

	it('one downloader per library: a second daemon exits naming the holder; after SIGKILL of the first, the next one takes the stale lock and resumes', async () => {
		const {dir, server} = await setUp();
		const file = '/l/locked-3.1-x86_64.iso';
		const sha = await server.serve(file, {kind: 'generated', size: 6 * MiB, seed: 31, fileType: 'iso'}, {throttleBps: 1 * MiB});
		const id = await inProcess(dir).add({url: server.url(file)});
		const first = startDaemon(dir);
		await first.next(isEvent('downloading', id));

		const second = startDaemon(dir, ['--exit-when-idle']);
		const refused = await second.exited;
		expect(refused.code).toBe(1);
		expect(second.stderr()).toContain(`pid ${first.pid}`);
		expect(second.stderr()).toMatch(/daemon/);
		expect(second.lines).toEqual([expect.objectContaining({level: 'error', event: 'lock_held', holder_pid: first.pid})]);
		// The first one never noticed.
		expect(first.child.exitCode).toBeNull();
		expect(server.requestsFor(file)).toHaveLength(1);

		await waitFor(() => partSize(dir, id) >= 128 * KiB, {what: '128 KiB in the .part'});
		first.kill('SIGKILL');
		await first.exited;
		// The lock is left behind by the crash; the row still says downloading.
		const lock = JSON.parse(fs.readFileSync(path.join(dir, 'isoman.lock'), 'utf8')) as {pid: number};
		expect(lock.pid).toBe(first.pid);
		expect((await inProcess(dir).image(id))!.status).toBe('downloading');

		server.setFaults(file, {});
		const third = startDaemon(dir, ['--exit-when-idle']);
		const started = await third.next(isEvent('started'));
		expect((started['recovery'] as {requeued: string[]}).requeued).toEqual([id]);
		expect((await third.exited).code, third.stderr()).toBe(0);
		const [image] = await listJson(dir);
		expect(image).toMatchObject({id, status: 'complete', checksum: sha});
		const requests = server.requestsFor(file);
		expect(requests).toHaveLength(2);
		expect(requests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
		expect(requests[1]!.status).toBe(206);
	});

	it('of daemons started together on a stale lock, exactly one runs', async () => {
		const {dir} = await setUp();
		fakeLock(dir, 2 ** 22 + 1, 'daemon'); // a dead holder
		const daemons = Array.from({length: 4}, () => startDaemon(dir));
		const outcomes = await Promise.all(daemons.map(async d => (await d.next(l => l.event === 'started' || l.event === 'lock_held')).event));
		expect(outcomes.filter(o => o === 'started')).toHaveLength(1);
		const winner = daemons[outcomes.indexOf('started')]!;
		for (const d of daemons) if (d !== winner) expect((await d.exited).code).toBe(1);
		expect(JSON.parse(fs.readFileSync(path.join(dir, 'isoman.lock'), 'utf8'))).toMatchObject({pid: winner.pid, role: 'daemon'});
		winner.kill('SIGTERM');
		expect((await winner.exited).code).toBe(0);
		expect(fs.readdirSync(dir).filter(f => f.startsWith('isoman.lock'))).toEqual([]);
	});

	it('refuses to start while a TUI holds the lock, takes over a lock left by a dead process, and waits for a subcommand\'s short hold (a signal stops the wait)', async () => {
		const {dir} = await setUp();
		// A live holder that is not a daemon (this test process, as if it were a TUI).
		fakeLock(dir, process.pid, 'tui');
		const refused = startDaemon(dir, ['--exit-when-idle']);
		expect((await refused.exited).code).toBe(1);
		expect(refused.stderr()).toContain(`tui pid ${process.pid}`);

		// A dead holder, and the leftovers of lock attempts cut short by a crash.
		fakeLock(dir, 2 ** 22 + 1, 'daemon'); // above the largest pid_max: never a live process
		fs.writeFileSync(path.join(dir, `isoman.lock.${2 ** 22 + 1}.0badc0de.tmp`), '{}');
		fs.writeFileSync(path.join(dir, 'isoman.lock.takeover'), JSON.stringify({pid: 2 ** 22 + 1, host: os.hostname(), startedAt: new Date().toISOString()}));
		const taken = startDaemon(dir, ['--exit-when-idle']);
		expect((await taken.exited).code, taken.stderr()).toBe(0);
		expect(fs.readdirSync(dir).filter(f => f.startsWith('isoman.lock'))).toEqual([]);

		// A subcommand holds the lock only while it runs: the daemon waits for it instead of giving up.
		fakeLock(dir, process.pid, 'command');
		const patient = startDaemon(dir, ['--exit-when-idle']);
		const impatient = startDaemon(dir, ['--exit-when-idle']);
		expect(await patient.next(isEvent('waiting'))).toMatchObject({holder_pid: process.pid, holder_role: 'command'});
		await impatient.next(isEvent('waiting'));
		// A signal while waiting stops it at once.
		const signalledAt = Date.now();
		impatient.kill('SIGTERM');
		const stopped = await impatient.exited;
		expect(stopped.code).toBe(0);
		expect(stopped.at - signalledAt).toBeLessThan(2000);
		expect(impatient.lines.at(-1)).toMatchObject({event: 'stopped', exit_code: 0});
		fs.rmSync(path.join(dir, 'isoman.lock'));
		await patient.next(isEvent('started'));
		expect((await patient.exited).code, patient.stderr()).toBe(0);
	});
});
