/**
 * Bandwidth limits against a real local server: bytes over time windows, measured where isoman takes them in
 * (the manager's progress events: bytes written to the part). Bounds are generous (a loaded machine), never exact
 * timings; waits are events or polls with deadlines.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {startHarness, MiB, TRANSFER_MODES, type Harness} from '../../support/harness.js';
import {waitFor} from '../../support/library.js';

let h: Harness;
afterEach(async () => h?.close());

type Sample = {t: number; bytes: number};

/** Records (time, bytes written) for one image from the manager's progress events. */
function record(harness: Harness, id: string): Sample[] {
	const samples: Sample[] = [];
	harness.manager.on('progress', list => {
		const p = list.find(x => x.id === id && x.phase === 'downloading');
		if (p) samples.push({t: performance.now(), bytes: p.downloaded});
	});
	return samples;
}

/** Bytes per second between the first sample at or after `from` and the last one at or before `to`. */
function rateBetween(samples: Sample[], from: number, to: number): number {
	const inside = samples.filter(s => s.t >= from && s.t <= to);
	const first = inside[0]!;
	const last = inside.at(-1)!;
	return (last.bytes - first.bytes) / ((last.t - first.t) / 1000);
}

async function until(samples: Sample[], t: number): Promise<void> {
	await waitFor(() => samples.length > 0 && samples.at(-1)!.t >= t, {what: `progress past ${t.toFixed(0)} ms`, timeoutMs: 30_000});
}

describe.each(TRANSFER_MODES)('bandwidth limits ($mode)', ({transferThread}) => {
	it('holds the global --max-rate on average and smoothly (no second-long bursts), in one request', async () => {
		const limit = 2 * MiB;
		h = await startHarness({maxRate: String(limit)}, {transferThread});
		const path = '/r/alpine-standard-3.20.3-x86_64.iso';
		await h.server.serve(path, {kind: 'generated', size: 64 * MiB, seed: 3, fileType: 'iso'});
		const {id} = h.manager.addNow({url: h.server.url(path)});
		const samples = record(h, id);
		h.manager.start();
		await waitFor(() => samples.length > 0, {what: 'first progress'});
		const t0 = samples[0]!.t;
		await until(samples, t0 + 4500);
		const average = rateBetween(samples, t0 + 500, t0 + 4500);
		expect(average).toBeGreaterThan(limit * 0.75);
		expect(average).toBeLessThan(limit * 1.25);
		// Every second carries about its share (progress comes per written batch, ~4 a second here): a
		// burst-then-silence limiter would show empty and doubled windows.
		for (let w = t0 + 500; w + 1000 <= t0 + 4500; w += 1000) {
			const r = rateBetween(samples, w, w + 1000);
			expect(r, `window at ${(w - t0).toFixed(0)} ms`).toBeGreaterThan(limit * 0.5);
			expect(r, `window at ${(w - t0).toFixed(0)} ms`).toBeLessThan(limit * 1.6);
		}

		expect(h.server.requestsFor(path)).toHaveLength(1);
		await h.manager.setLimit(id, 0);
	});

	it('follows a change of the global limit within a second, without a new request', async () => {
		h = await startHarness({maxRate: String(1 * MiB)}, {transferThread});
		const path = '/r/debian-12.5.0-amd64-netinst.iso';
		await h.server.serve(path, {kind: 'generated', size: 64 * MiB, seed: 4, fileType: 'iso'});
		const {id} = h.manager.addNow({url: h.server.url(path)});
		const samples = record(h, id);
		h.manager.start();
		await waitFor(() => samples.length > 0, {what: 'first progress'});
		await until(samples, samples[0]!.t + 1500);
		const slow = rateBetween(samples, samples[0]!.t + 300, samples[0]!.t + 1500);
		expect(slow).toBeLessThan(1.3 * MiB);
		const limits: number[] = [];
		h.manager.on('limit', rate => limits.push(rate));
		const changed = performance.now();
		await h.manager.setLimit(undefined, 4 * MiB);
		expect(h.manager.maxRate()).toBe(4 * MiB);
		expect(limits).toEqual([4 * MiB]);
		await until(samples, changed + 3000);
		const fast = rateBetween(samples, changed + 1000, changed + 3000);
		expect(fast).toBeGreaterThan(4 * MiB * 0.7);
		expect(fast).toBeLessThan(4 * MiB * 1.3);
		expect(h.server.requestsFor(path)).toHaveLength(1);
		expect(h.manager.catalogue.setting('max_rate')).toBe(String(4 * MiB));
	});

	it('applies an image\'s own limit (add --max-rate), the lower of it and the global one, changed while running', async () => {
		h = await startHarness({maxRate: String(8 * MiB)}, {transferThread});
		const path = '/r/fedora-40-x86_64.iso';
		const sha = await h.server.serve(path, {kind: 'generated', size: 12 * MiB, seed: 5, fileType: 'iso'});
		const {id} = h.manager.addNow({url: h.server.url(path), maxRate: '1M'});
		expect(h.manager.get(id)!.maxRate).toBe(MiB);
		const samples = record(h, id);
		h.manager.start();
		await waitFor(() => samples.length > 0, {what: 'first progress'});
		await until(samples, samples[0]!.t + 1500);
		expect(rateBetween(samples, samples[0]!.t + 300, samples[0]!.t + 1500)).toBeLessThan(1.3 * MiB);
		const updated = await h.manager.setLimit(id, 0);
		expect(updated?.maxRate).toBeNull();
		const done = await h.until(id, 'complete', 'failed');
		expect(done.status, done.errorMessage ?? '').toBe('complete');
		expect(done.checksum).toBe(sha);
		expect(h.server.requestsFor(path)).toHaveLength(1);
	});

	it('refuses a negative or fractional rate and changes nothing', async () => {
		h = await startHarness({}, {transferThread});
		await expect(h.manager.setLimit(undefined, -1)).rejects.toThrow(/max_rate: -1 is not a rate/);
		await expect(h.manager.setLimit(undefined, 1.5)).rejects.toThrow(/not a rate/);
		expect(h.manager.maxRate()).toBe(0);
	});
});
