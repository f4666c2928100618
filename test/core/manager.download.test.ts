import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startHarness, MiB, TRANSFER_MODES, type Harness} from '../support/harness.js';
import {waitFor} from '../support/library.js';

let h: Harness;
afterEach(async () => h?.close());

describe.each(TRANSFER_MODES)('manager: scheduling and transfers ($mode)', ({transferThread}) => {
	it('downloads 6 images with concurrency 3 and at most 2 per host, each with the right sha256', async () => {
		h = await startHarness({concurrency: 3, perHost: 2}, {transferThread});
		const {server, manager} = h;
		// Two host names for one server: 127.0.0.1 and localhost.
		const hosts = [server.origin, server.origin.replace('127.0.0.1', 'localhost')];
		const ids: Array<{id: string; sha: string}> = [];
		for (let i = 0; i < 6; i++) {
			const size = (32 + i * 6) * MiB;
			const file = `/pub/os${i}-1.${i}-x86_64.iso`;
			const sha = await server.serve(file, {kind: 'generated', size, seed: i + 1, fileType: 'iso'}, {throttleBps: 64 * MiB});
			ids.push({id: manager.addNow({url: hosts[i % 2]! + file}).id, sha});
		}

		let maxActive = 0;
		const perHost = new Map<string, number>();
		let maxPerHost = 0;
		manager.on('change', () => {
			maxActive = Math.max(maxActive, manager.activeCount());
			perHost.clear();
			for (const image of manager.list().filter(i => i.status === 'downloading')) {
				const host = new URL(image.downloadUrl).host;
				perHost.set(host, (perHost.get(host) ?? 0) + 1);
				maxPerHost = Math.max(maxPerHost, perHost.get(host)!);
			}
		});
		manager.start();
		for (const {id, sha} of ids) {
			const image = await h.until(id, 'complete', 'failed');
			expect(image.status, image.errorMessage ?? '').toBe('complete');
			expect(image.checksum).toBe(sha);
			expect(fs.existsSync(path.join(h.lib.config.imagesDir, image.filePath))).toBe(true);
		}

		expect(server.peakConcurrent).toBeLessThanOrEqual(3);
		expect(server.peakConcurrent).toBeGreaterThanOrEqual(2);
		expect(maxActive).toBeLessThanOrEqual(3);
		expect(maxPerHost).toBeLessThanOrEqual(2);
		expect(h.tmpFiles()).toEqual([]);
		// Every request carried isoman's User-Agent.
		expect(new Set(server.requests.map(r => r.userAgent))).toEqual(new Set([expect.stringMatching(/^isoman\/\d/)]));
	});

	it('pause keeps the .part and resume continues from its offset with a Range request', async () => {
		h = await startHarness({}, {transferThread});
		const {server, manager} = h;
		const sha = await server.serve('/a/alpine-standard-3.20.3-x86_64.iso', {kind: 'generated', size: 16 * MiB, seed: 7, fileType: 'iso'}, {throttleBps: 4 * MiB});
		const {id} = manager.addNow({url: server.url('/a/alpine-standard-3.20.3-x86_64.iso')});
		manager.start();
		await waitFor(() => (server.requestsFor('/a/alpine-standard-3.20.3-x86_64.iso')[0]?.bytesSent ?? 0) > 2 * MiB, {what: '2 MiB sent'});
		const paused = await manager.pause(id);
		expect(paused.status).toBe('paused');
		const partSize = fs.statSync(path.join(h.lib.config.tmpDir, `${id}.part`)).size;
		expect(partSize).toBeGreaterThan(0);
		expect(paused.downloadedBytes).toBe(partSize);
		server.setFaults('/a/alpine-standard-3.20.3-x86_64.iso', {});
		await manager.resume(id);
		const done = await h.until(id, 'complete', 'failed');
		expect(done.status).toBe('complete');
		expect(done.checksum).toBe(sha);
		const requests = server.requestsFor('/a/alpine-standard-3.20.3-x86_64.iso');
		expect(requests).toHaveLength(2);
		expect(requests[1]!.range).toBe(`bytes=${partSize}-`);
		expect(manager.events(id, 50).map(e => e.kind)).toEqual(expect.arrayContaining(['paused', 'resumed', 'completed']));
	});

	it('cancel removes the .part and leaves failed/cancelled; remove during a download leaves no row and no file', async () => {
		h = await startHarness({}, {transferThread});
		const {server, manager} = h;
		await server.serve('/c/one-1.0-x86_64.iso', {kind: 'generated', size: 16 * MiB, seed: 1, fileType: 'iso'}, {throttleBps: 2 * MiB});
		await server.serve('/c/two-1.0-x86_64.iso', {kind: 'generated', size: 16 * MiB, seed: 2, fileType: 'iso'}, {throttleBps: 2 * MiB});
		const one = manager.addNow({url: server.url('/c/one-1.0-x86_64.iso')});
		const two = manager.addNow({url: server.url('/c/two-1.0-x86_64.iso')});
		manager.start();
		await waitFor(() => h.tmpFiles().length === 2 && server.requests.every(r => r.bytesSent > 1024), {what: 'both downloading'});
		const cancelled = await manager.cancel(one.id);
		expect(cancelled).toMatchObject({status: 'failed', errorCode: 'cancelled'});
		expect(h.tmpFiles()).toEqual([`${two.id}.part`]);
		await manager.remove(two.id);
		expect(manager.get(two.id)).toBeUndefined();
		expect(h.tmpFiles()).toEqual([]);
		expect(h.imageFiles()).toEqual([]);
		expect(manager.events(two.id, 1)[0]!.kind).toBe('removed');
	});

	it('fails a 404 after exactly one request, with the status in the message', async () => {
		h = await startHarness({}, {transferThread});
		const {server, manager} = h;
		const {id} = manager.addNow({url: server.url('/missing/x-1.0-x86_64.iso')});
		manager.start();
		const image = await h.until(id, 'failed', 'complete');
		expect(image.errorCode).toBe('http_status');
		expect(image.errorMessage).toContain('404');
		expect(server.requestsFor('/missing/x-1.0-x86_64.iso')).toHaveLength(1);
	});

	it('refuses an HTML page served as .iso: failed with a content error, nothing under images/', async () => {
		h = await startHarness({}, {transferThread});
		const {server, manager} = h;
		await server.serve('/h/fake-1.0-x86_64.iso', {kind: 'generated', size: MiB, seed: 3, fileType: 'iso'}, {html: true});
		const {id} = manager.addNow({url: server.url('/h/fake-1.0-x86_64.iso')});
		manager.start();
		const image = await h.until(id, 'failed', 'complete');
		expect(image.errorCode).toBe('content');
		expect(image.errorMessage).toMatch(/HTML/);
		expect(h.imageFiles()).toEqual([]);
		expect(h.tmpFiles()).toEqual([]);
	});
});

describe.each(TRANSFER_MODES)('manager: faults on the wire ($mode)', ({transferThread}) => {
	it('a stall after 1 MiB with a 1 s stall timeout resumes and completes; the image never becomes failed', async () => {
		h = await startHarness({stallTimeout: 1}, {transferThread});
		const {server, manager} = h;
		const sha = await server.serve('/s/os-1.0-x86_64.iso', {kind: 'generated', size: 8 * MiB, seed: 5, fileType: 'iso'}, {stallAt: MiB});
		const statuses: string[] = [];
		manager.on('change', change => {
			if (change.type === 'updated') statuses.push(change.image.status);
		});
		const {id} = manager.addNow({url: server.url('/s/os-1.0-x86_64.iso')});
		manager.start();
		const image = await h.until(id, 'complete', 'failed');
		expect(image.status).toBe('complete');
		expect(image.checksum).toBe(sha);
		expect(statuses).not.toContain('failed');
		const requests = server.requestsFor('/s/os-1.0-x86_64.iso');
		expect(requests.length).toBeGreaterThanOrEqual(2);
		expect(requests[1]!.range).toBe(`bytes=${MiB}-`);
	});

	it('resets at 5 offsets: completes with the right hash, every retry a Range request from where the bytes ended', async () => {
		h = await startHarness({}, {transferThread});
		const {server, manager} = h;
		const offsets = [3, 7, 11, 19, 23].map(n => n * MiB + 12_345);
		const sha = await server.serve('/r/os-1.0-x86_64.iso', {kind: 'generated', size: 32 * MiB, seed: 6, fileType: 'iso'}, {resetAt: offsets});
		const {id} = manager.addNow({url: server.url('/r/os-1.0-x86_64.iso')});
		manager.start();
		const image = await h.until(id, 'complete', 'failed');
		expect(image.status, image.errorMessage ?? '').toBe('complete');
		expect(image.checksum).toBe(sha);
		const ranges = server.requestsFor('/r/os-1.0-x86_64.iso').map(r => r.range);
		expect(ranges).toEqual([undefined, ...offsets.map(o => `bytes=${o}-`)]);
		expect(image.attempts).toBe(5);
	});
});
