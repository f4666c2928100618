/**
 * Fills a catalogue created by the real program (`isoman list` once) with N complete images, straight into SQLite
 * with the project's own better-sqlite3, matching the `images` schema of source/core/catalogue/migrations.ts.
 * Each image gets a 1 KiB file at its path (so startup recovery finds every file and changes nothing) and the
 * two audit events a real download leaves (`added`, `complete`).
 *
 * Shape: names × versions × (arch, edition) = N, e.g. 250 × 8 × 5 = 10,000 — a big mirror, grouped like one.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';

const VARIANTS = [
	['x86_64', ''],
	['aarch64', ''],
	['x86_64', 'server'],
	['x86_64', 'desktop'],
	['i686', ''],
];
const VERSIONS = 8;
export const FILE_BYTES = 1024;

export function seedName(i) {
	return `distro-${String(i).padStart(4, '0')}`;
}

export function seedCatalogue(repoRoot, dataDir, count, origin = 'http://127.0.0.1:9') {
	const require = createRequire(path.join(repoRoot, 'package.json'));
	const Database = require('better-sqlite3');
	const db = new Database(path.join(dataDir, 'isoman.db'));
	db.pragma('busy_timeout = 5000');
	const insert = db.prepare(`INSERT INTO images (id, name, version, arch, edition, file_type, filename, file_path, size_bytes,
		downloaded_bytes, status, checksum, checksum_type, expected_checksum, download_url, attempts, created_at, updated_at, completed_at)
		VALUES (@id, @name, @version, @arch, @edition, 'iso', @filename, @filePath, ${FILE_BYTES}, ${FILE_BYTES}, 'complete',
		@sum, 'sha256', @sum, @url, 1, @ts, @ts, @ts)`);
	const event = db.prepare('INSERT INTO events (image_id, ts, kind, detail) VALUES (?, ?, ?, ?)');
	const body = Buffer.alloc(FILE_BYTES, 0x20);
	const imagesDir = path.join(dataDir, 'images');
	const perName = VERSIONS * VARIANTS.length;
	const names = Math.ceil(count / perName);
	const rows = [];
	for (let n = 0, i = 0; n < names && i < count; n++) {
		for (let v = 0; v < VERSIONS && i < count; v++) {
			for (const [arch, edition] of VARIANTS) {
				if (i >= count) break;
				const name = seedName(n);
				const version = `${1 + v}.${n % 10}`;
				const filename = `${name}-${version}${edition ? `-${edition}` : ''}-${arch}.iso`;
				const filePath = `${name}/${version}/${arch}/${filename}`;
				rows.push({
					id: randomBytes(6).toString('hex'),
					name,
					version,
					arch,
					edition,
					filename,
					filePath,
					sum: randomBytes(32).toString('hex'),
					url: `${origin}/${name}/${filename}`,
					ts: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
				});
				i++;
			}
		}
	}

	db.transaction(() => {
		for (const row of rows) {
			insert.run(row);
			event.run(row.id, row.ts, 'added', row.url);
			event.run(row.id, row.ts, 'complete', `sha256 ${row.sum}`);
		}
	})();
	db.close();
	for (const row of rows) {
		const file = path.join(imagesDir, row.filePath);
		fs.mkdirSync(path.dirname(file), {recursive: true});
		fs.writeFileSync(file, body);
	}

	return {rows: rows.length, names, firstName: seedName(0)};
}
