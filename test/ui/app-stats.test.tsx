import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {STATS_REFRESH_MS} from '../../source/ui/controller.js';
import {type Harness, KEYS, appPerTest, url} from './helpers/render-app.js';

const render = appPerTest();
const MiB = 1024 * 1024;

/** Three images, two of them complete and downloaded from the library (counts as the HTTP server writes them). */
const seed = (manager: Harness['manager']) => {
	const db = manager.catalogue.db;
	const files = ['alpine-standard-3.20.3-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso', 'fedora-40-x86_64.iso'];
	const ids = files.map(file => manager.addNow({url: url(file)}).id);
	const today = new Date().toISOString();
	const complete = db.prepare("UPDATE images SET status = 'complete', size_bytes = ?, downloaded_bytes = ?, completed_at = ?, download_count = ?, bytes_served = ? WHERE id = ?");
	complete.run(700 * MiB, 700 * MiB, today, 5, 5 * 700 * MiB, ids[0]);
	complete.run(64 * MiB, 64 * MiB, today, 2, 2 * 64 * MiB, ids[1]);
	const event = db.prepare('INSERT INTO download_events (image_id, ts) VALUES (?, ?)');
	for (let i = 0; i < 5; i++) event.run(ids[0], today);
	event.run(ids[1], new Date(Date.now() - 3 * 86_400_000).toISOString());
	event.run(ids[1], today);
};

describe('the stats view (s)', () => {
	it('shows totals, storage, downloads served, bandwidth saved, the 30-day sparkline and the top images, inside 80×24', async () => {
		const h = await render({columns: 80, rows: 24, seed});
		await h.press('s');
		const frame = await h.waitFor(f => f.includes('Statistics'), 'the stats view');
		const lines = frame.split('\n');
		expect(lines.length).toBeLessThanOrEqual(23);
		for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
		expect(frame).toContain('images      3 (2 complete, 1 queued or running, 0 failed)');
		expect(frame).toMatch(/storage {5}764 MiB used, .+ free/);
		expect(frame).toContain('served      7 downloads, 3.54 GiB sent');
		// (5 − 1) × 700 MiB + (2 − 1) × 64 MiB
		expect(frame).toContain('saved       2.80 GiB of bandwidth');
		const trend = lines.find(l => l.startsWith('last 30 days'))!;
		expect(trend).toMatch(/^last 30 days [▁-█]{30} 7 downloads$/);
		expect(trend.slice(13, 43).at(-1)).toBe('█');
		// The table: ink-table's borders, the busiest image first.
		const rows = lines.filter(l => l.startsWith('│ '));
		expect(rows[0]!.split('│').map(c => c.trim()).filter(Boolean)).toEqual(['image', 'version', 'arch', 'downloads', 'size']);
		expect(rows[1]!.split('│').map(c => c.trim()).filter(Boolean)).toEqual(['alpine-standard', '3.20.3', 'x86_64', '5', '700 MiB']);
		expect(rows[2]!.split('│').map(c => c.trim()).filter(Boolean)).toEqual(['debian', '12.5.0', 'x86_64', '2', '64.0 MiB']);
		expect(frame).toMatch(/┌─+┬/);
		// The footer says how to close it; Esc goes back to the library.
		expect(lines.at(-1)).toContain('close');
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Statistics') && f.includes('alpine-standard'), 'the library again');
	});

	it('--ascii: the table is drawn with - | + and the sparkline with ASCII marks', async () => {
		const h = await render({columns: 80, rows: 24, ascii: true, seed});
		await h.press('s');
		const frame = await h.waitFor(f => f.includes('Statistics'), 'the stats view');
		expect(frame).toMatch(/\+-+\+-+/);
		expect(frame).toContain('| alpine-standard');
		expect(frame).not.toMatch(/[─│┌┐└┘┬┴┼├┤▁▂▃▄▅▆▇█]/);
	});

	it('follows the library while open (downloads the server counts show within a refresh); an empty library says so', async () => {
		const h = await render({columns: 100, rows: 30, seed: manager => void manager.addNow({url: url('solo-1.0-x86_64.iso')})});
		await h.press('s');
		await h.waitFor(f => f.includes('No image has been downloaded from this library yet.'), 'the empty table');
		const [image] = h.manager.list();
		h.manager.catalogue.db.prepare("UPDATE images SET status = 'complete', size_bytes = ?, download_count = 1, bytes_served = ? WHERE id = ?").run(MiB, MiB, image!.id);
		h.manager.catalogue.db.prepare('INSERT INTO download_events (image_id, ts) VALUES (?, ?)').run(image!.id, new Date().toISOString());
		const frame = await h.waitFor(f => f.includes('served      1 download, 1.00 MiB sent'), 'the refreshed numbers', STATS_REFRESH_MS * 3);
		expect(frame).toContain('│ solo');
		await h.press('q');
		await h.waitFor(f => !f.includes('Statistics'), 'closed with q');
		expect(h.quits).toEqual([]);
	});
});
