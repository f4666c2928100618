/**
 * Go-client contract: the exact JSON of every response, decoded as ISOMan's Go client (pkg/client) decodes it,
 * with its field TYPES (see go-types.ts), for images in every state and mid-download.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {waitFor} from '../../support/library.js';
import {apiResponse, decodeGo, DownloadTrends, ISO, ListISOsResponse, Stats, type GoType} from './go-types.js';
import {startApi, type ApiHarness} from './helpers.js';

let h: ApiHarness;
const ids: Record<string, string> = {};
const MiB = 1024 * 1024;

/** Decode the envelope, then its data into `type`, as client.go's doJSON does. */
function decodeReply(json: unknown, type?: GoType): void {
	decodeGo(json, apiResponse);
	const data = (json as {data?: unknown}).data;
	if (type && data !== undefined) decodeGo(data, type, '$.data');
}

beforeAll(async () => {
	h = await startApi();
	await h.server.serve('/done-1.0-x86_64.iso', {kind: 'generated', size: MiB, seed: 11, fileType: 'iso'});
	await h.server.serve('/slow-1.0-x86_64.iso', {kind: 'generated', size: 3 * MiB + 7, seed: 12, fileType: 'iso'}, {throttleBps: 256 * 1024});
	await h.server.serve('/broken-1.0-x86_64.iso', {kind: 'buffer', data: Buffer.alloc(0)}, {statuses: [{status: 410}]});
	await h.server.serve('/unsized-1.0-x86_64.iso', {kind: 'generated', size: MiB, seed: 13, fileType: 'iso'}, {noContentLength: true, throttleBps: 128 * 1024});
	const make = async (file: string, extra: Record<string, unknown> = {}) => {
		const r = await h.call('POST', '/api/isos', {body: {download_url: h.server.url(`/${file}`), ...extra}});
		expect(r.status).toBe(201);
		decodeReply(r.json, ISO);
		return r.json.data.id as string;
	};

	ids.complete = await make('done-1.0-x86_64.iso', {edition: 'live'});
	ids.failed = await make('broken-1.0-x86_64.iso');
	ids.downloading = await make('slow-1.0-x86_64.iso');
	ids.unsized = await make('unsized-1.0-x86_64.iso');
	await h.until(ids.complete, 'complete');
	await h.until(ids.failed, 'failed');
	await waitFor(() => (h.manager.get(ids.downloading!)?.downloadedBytes ?? 0) > 300_000, {what: 'a partly downloaded image'});
	// Some accounting, as the server would write it, so stats have numbers to show.
	h.manager.catalogue.db.prepare('UPDATE images SET download_count = 3, bytes_served = ? WHERE id = ?').run(3 * MiB + 5, ids.complete);
	h.manager.catalogue.db.prepare('INSERT INTO download_events (image_id, ts) VALUES (?, ?)').run(ids.complete, new Date().toISOString());
});

afterAll(async () => {
	await h.close();
});

describe('pkg/client decodes every response', () => {
	it('ListISOs (every page), with images complete, failed, downloading (fractional progress underneath) and of unknown size', async () => {
		await h.manager.pause(ids.unsized!);
		for (const q of ['', '?page=1&page_size=2&sort_by=name&sort_dir=asc', '?page=2&page_size=2', '?page=9']) {
			const r = await h.call('GET', `/api/isos${q}`);
			decodeReply(r.json, ListISOsResponse);
		}

		const all = (await h.call('GET', '/api/isos?page_size=100')).json.data.isos as Array<Record<string, unknown>>;
		expect(new Set(all.map(i => i.status))).toEqual(new Set(['complete', 'failed', 'downloading', 'paused']));
		for (const image of all) expect(Number.isInteger(image.progress)).toBe(true);
		const downloading = all.find(i => i.id === ids.downloading)!;
		expect(downloading.progress).toBeGreaterThan(0);
		expect(downloading.progress).toBeLessThan(100);
		expect(all.find(i => i.id === ids.complete)).toMatchObject({progress: 100, edition: 'live'});
		expect(all.find(i => i.id === ids.failed)).toMatchObject({edition: '', checksum: '', checksum_url: '', completed_at: null});
	});

	it('GetISO, UpdateISO, RetryISO, DeleteISO', async () => {
		decodeReply((await h.call('GET', `/api/isos/${ids.complete}`)).json, ISO);
		const updated = await h.call('PUT', `/api/isos/${ids.complete}`, {body: {edition: 'desktop'}});
		expect(updated.status).toBe(200);
		decodeReply(updated.json, ISO);
		const retried = await h.call('POST', `/api/isos/${ids.failed}/retry`);
		expect(retried.status).toBe(200);
		decodeReply(retried.json, ISO);
		const deleted = await h.call('DELETE', `/api/isos/${ids.failed}`);
		decodeReply(deleted.json);
		expect(deleted.json.data).toBeUndefined();
	});

	it('GetStats and GetDownloadTrends', async () => {
		const stats = await h.call('GET', '/api/stats');
		decodeReply(stats.json, Stats);
		expect(stats.json.data.top_downloaded[0]).toMatchObject({id: ids.complete, download_count: 3, size_bytes: MiB});
		expect(stats.json.data.bandwidth_saved).toBe(2 * MiB);
		for (const q of ['', '?period=weekly', '?days=1', '?days=365']) decodeReply((await h.call('GET', `/api/stats/trends${q}`)).json, DownloadTrends);
	});

	it('every error envelope, including VALIDATION_FAILED with many fields and CONFLICT', async () => {
		const replies = [
			await h.call('POST', '/api/isos', {body: {name: '', version: 'a b', download_url: 'nope'}}),
			await h.call('POST', '/api/isos', {body: {download_url: h.server.url('/done-1.0-x86_64.iso'), edition: 'desktop'}}),
			await h.call('POST', '/api/isos', {raw: '{', headers: {'content-type': 'application/json'}}),
			await h.call('GET', '/api/isos/0000000000ff'),
			await h.call('POST', `/api/isos/${ids.complete}/retry`),
			await h.call('DELETE', `/api/isos/${ids.complete}`, {token: null}),
			await h.call('POST', '/api/isos', {raw: JSON.stringify({name: 'x'.repeat(70_000)})}),
		];
		expect(replies.map(r => r.json.error.code)).toEqual(['VALIDATION_FAILED', 'CONFLICT', 'BAD_REQUEST', 'NOT_FOUND', 'INVALID_STATE', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE']);
		for (const r of replies) decodeReply(r.json);
		// The existing image in a conflict is an ISO too.
		decodeGo(replies[1]!.json.data.existing, ISO);
	});

	it('the decoder itself rejects what Go rejects', () => {
		expect(() => decodeGo({progress: 41.5}, {struct: {progress: 'int'}})).toThrow(/not an integer/);
		expect(() => decodeGo({size_bytes: null}, {struct: {size_bytes: 'int64'}})).toThrow(/null/);
		expect(() => decodeGo({details: {field: 'x'}}, apiResponseErrorOnly())).toThrow(/not a string/);
		expect(() => decodeGo({created_at: '2024-01-01 10:00'}, {struct: {created_at: 'time.Time'}})).toThrow(/RFC 3339/);
	});

	it('files on disk match the image object (file_path under images/)', async () => {
		const image = (await h.call('GET', `/api/isos/${ids.complete}`)).json.data;
		expect(fs.existsSync(path.join(h.lib.config.imagesDir, image.file_path))).toBe(true);
	});
});

function apiResponseErrorOnly(): GoType {
	return {struct: {details: 'string'}};
}
