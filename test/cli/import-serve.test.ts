/**
 * After `isoman import`, the daemon serves the library where ISOMan did: its REST API shows ISOMan's images with
 * their download counts, the stats and trends continue from ISOMan's history, and the files are served.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {bytes, makeIsomanDir} from '../support/isoman-fixture.js';
import {serve, type Serving} from '../server/helpers.js';
import {isoman} from './helpers.js';

const KiB = 1024;
const DAY = 86_400_000;
let serving: Serving | undefined;
const roots: string[] = [];
afterEach(async () => {
	if (serving) {
		serving.daemon.kill('SIGTERM');
		await serving.daemon.exited;
		serving = undefined;
	}

	for (const root of roots.splice(0)) fs.rmSync(root, {recursive: true, force: true});
});

describe('an imported library served by the daemon', () => {
	it("shows ISOMan's images, counts and trends through the API and serves the files", async () => {
		const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-import-serve-'));
		roots.push(root);
		const lib = path.join(root, 'library');
		const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate(), 12);
		const source = makeIsomanDir(path.join(root, 'isoman'), [
			{name: 'alpine', version: '3.20.3', arch: 'x86_64', status: 'complete', content: bytes(64 * KiB, 31), verified: true, downloadCount: 3, downloads: [new Date(today - DAY), new Date(today - DAY), new Date(today - 2 * DAY)]},
			{name: 'debian', version: '12.5', arch: 'amd64', status: 'complete', content: bytes(32 * KiB, 32), downloadCount: 1, downloads: [new Date(today - DAY)]},
			{name: 'rocky', version: '9.3', arch: 'x86_64', status: 'failed', errorMessage: 'server returned 503 Service Unavailable'},
		]);
		await isoman(lib, ['import', source.dir]);
		serving = await serve(lib);
		const get = async (target: string) => {
			const response = await fetch(`${serving!.url.replace(/\/$/, '')}${target}`);
			return {status: response.status, body: Buffer.from(await response.arrayBuffer())};
		};

		const stats = JSON.parse((await get('/api/stats')).body.toString()).data;
		expect(stats).toMatchObject({total_isos: 3, completed_isos: 2, failed_isos: 1, total_downloads: 4, bandwidth_saved: 2 * 64 * KiB, total_size_bytes: 96 * KiB});
		const trends = JSON.parse((await get('/api/stats/trends?days=7')).body.toString()).data;
		const byDate = Object.fromEntries((trends.data as Array<{date: string; count: number}>).map(d => [d.date, d.count]));
		expect(byDate[new Date(today - DAY).toISOString().slice(0, 10)]).toBe(3);
		expect(byDate[new Date(today - 2 * DAY).toISOString().slice(0, 10)]).toBe(1);

		const list = JSON.parse((await get('/api/isos?page_size=100')).body.toString()).data.isos as Array<Record<string, unknown>>;
		const alpine = list.find(i => i['name'] === 'alpine')!;
		expect(alpine).toMatchObject({status: 'complete', download_count: 3, checksum: source.byName('alpine').sha256, progress: 100, created_at: expect.any(String)});
		expect(list.find(i => i['name'] === 'rocky')).toMatchObject({status: 'failed', error_message: 'ISOMan: server returned 503 Service Unavailable'});
		const file = await get(alpine['download_link'] as string);
		expect(file.status).toBe(200);
		expect(createHash('sha256').update(file.body).digest('hex')).toBe(source.byName('alpine').sha256);
	});
});
