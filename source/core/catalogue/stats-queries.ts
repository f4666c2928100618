/**
 * The queries behind library statistics (ISOMan's definitions) and download trends. Read-only; one statement
 * each, so a large library costs a few index scans, never a row-by-row walk in JavaScript.
 */
import type Database from 'better-sqlite3';

export type TopImage = {id: string; name: string; version: string; arch: string; downloadCount: number; sizeBytes: number};

export type StatsRows = {
	total: number;
	byStatus: Record<string, number>;
	byArch: Record<string, number>;
	byEdition: Record<string, number>;
	/** Σ size_bytes of complete images. */
	completeBytes: number;
	totalDownloads: number;
	/** Σ over complete images of (download_count − 1) × size_bytes, where download_count > 1. */
	bandwidthSaved: number;
	bytesServed: number;
	top: TopImage[];
};

const groups = (db: Database.Database, sql: string): Record<string, number> =>
	Object.fromEntries((db.prepare(sql).raw().all() as Array<[string, number]>).map(([k, n]) => [k, n]));

export function statsRows(db: Database.Database, topLimit = 10): StatsRows {
	return db
		.transaction(() => {
			const sums = db
				.prepare(
					`SELECT count(*) AS total,
						coalesce(sum(CASE WHEN status = 'complete' THEN size_bytes END), 0) AS completeBytes,
						coalesce(sum(download_count), 0) AS totalDownloads,
						coalesce(sum(CASE WHEN status = 'complete' AND download_count > 1 THEN (download_count - 1) * coalesce(size_bytes, 0) END), 0) AS bandwidthSaved,
						coalesce(sum(bytes_served), 0) AS bytesServed
					FROM images`,
				)
				.get() as {total: number; completeBytes: number; totalDownloads: number; bandwidthSaved: number; bytesServed: number};
			const top = db
				.prepare(
					`SELECT id, name, version, arch, download_count AS downloadCount, coalesce(size_bytes, 0) AS sizeBytes FROM images
					WHERE status = 'complete' AND download_count > 0 ORDER BY download_count DESC, name, version LIMIT ?`,
				)
				.all(topLimit) as TopImage[];
			return {
				...sums,
				byStatus: groups(db, 'SELECT status, count(*) FROM images GROUP BY status'),
				byArch: groups(db, 'SELECT arch, count(*) FROM images GROUP BY arch'),
				byEdition: groups(db, "SELECT edition, count(*) FROM images WHERE edition != '' GROUP BY edition"),
				top,
			};
		})
		.deferred();
}

/** Whole-file downloads per UTC day (`YYYY-MM-DD`) from `sinceDay` on. */
export function downloadsPerDay(db: Database.Database, sinceDay: string): Map<string, number> {
	const rows = db.prepare('SELECT substr(ts, 1, 10) AS day, count(*) FROM download_events WHERE ts >= ? GROUP BY day').raw().all(sinceDay) as Array<[string, number]>;
	return new Map(rows);
}
