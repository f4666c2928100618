/**
 * Library statistics with ISOMan v0.3.4's definitions (so its dashboard and Go client read the same numbers):
 * `pending_isos` counts pending, downloading and verifying; `total_size_bytes` is the storage complete images
 * take; `bandwidth_saved` is Σ over complete images of (download_count − 1) × size_bytes (every download after
 * the first came from this library instead of the publisher). Trends are whole-file downloads per UTC day or
 * week, with every period in the range present (0 when nothing was downloaded).
 */
import fs from 'node:fs';
import type {Catalogue} from './catalogue/repository.js';
import {downloadsPerDay, statsRows, type TopImage} from './catalogue/stats-queries.js';

export type LibraryStats = {
	totalImages: number;
	completed: number;
	failed: number;
	/** pending + downloading + verifying (ISOMan's `pending_isos`). */
	pending: number;
	byStatus: Record<string, number>;
	byArch: Record<string, number>;
	byEdition: Record<string, number>;
	/** Bytes the complete images take. */
	totalSizeBytes: number;
	totalDownloads: number;
	bandwidthSaved: number;
	bytesServed: number;
	top: TopImage[];
	/** Free bytes on the file system of the images directory (undefined when it cannot be told). */
	freeBytes: number | undefined;
};

export function libraryStats(catalogue: Catalogue, imagesDir?: string): LibraryStats {
	const rows = statsRows(catalogue.db);
	const count = (...statuses: string[]) => statuses.reduce((n, s) => n + (rows.byStatus[s] ?? 0), 0);
	let freeBytes: number | undefined;
	if (imagesDir) {
		try {
			const s = fs.statfsSync(imagesDir);
			freeBytes = Number(s.bavail) * Number(s.bsize);
		} catch {
			freeBytes = undefined;
		}
	}

	return {
		totalImages: rows.total,
		completed: count('complete'),
		failed: count('failed'),
		pending: count('pending', 'downloading', 'verifying'),
		byStatus: rows.byStatus,
		byArch: rows.byArch,
		byEdition: rows.byEdition,
		totalSizeBytes: rows.completeBytes,
		totalDownloads: rows.totalDownloads,
		bandwidthSaved: rows.bandwidthSaved,
		bytesServed: rows.bytesServed,
		top: rows.top,
		freeBytes,
	};
}

export type TrendPeriod = 'daily' | 'weekly';
export type Trend = {period: TrendPeriod; data: Array<{date: string; count: number}>};

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** SQLite's `%Y-W%W` (ISOMan's weekly label): week of the year, weeks starting on Monday, days before the first Monday in week 00. */
export function weekLabel(day: string): string {
	const date = new Date(`${day}T00:00:00Z`);
	const year = date.getUTCFullYear();
	const yday = Math.round((date.getTime() - Date.UTC(year, 0, 1)) / DAY_MS);
	const mondayBased = (date.getUTCDay() + 6) % 7;
	const week = Math.floor((yday + 7 - mondayBased) / 7);
	return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The last `days` UTC days up to and including today, each with its count (0 when none). Weekly sums them per week. */
export function downloadTrend(catalogue: Catalogue, period: TrendPeriod, days: number, now = Date.now()): Trend {
	const first = dayOf(now - (days - 1) * DAY_MS);
	const counts = downloadsPerDay(catalogue.db, first);
	const data: Array<{date: string; count: number}> = [];
	for (let i = days - 1; i >= 0; i--) {
		const day = dayOf(now - i * DAY_MS);
		const n = counts.get(day) ?? 0;
		if (period === 'daily') {
			data.push({date: day, count: n});
			continue;
		}

		const label = weekLabel(day);
		const last = data.at(-1);
		if (last?.date === label) last.count += n;
		else data.push({date: label, count: n});
	}

	return {period, data};
}

/** The statistics object of `GET /api/stats` and `isoman stats --json`: ISOMan's fields, then isoman's. */
export function statsToJson(s: LibraryStats) {
	return {
		total_isos: s.totalImages,
		completed_isos: s.completed,
		failed_isos: s.failed,
		pending_isos: s.pending,
		total_size_bytes: s.totalSizeBytes,
		total_downloads: s.totalDownloads,
		bandwidth_saved: s.bandwidthSaved,
		isos_by_arch: s.byArch,
		isos_by_edition: s.byEdition,
		isos_by_status: s.byStatus,
		top_downloaded: s.top.map(t => ({id: t.id, name: t.name, version: t.version, arch: t.arch, download_count: t.downloadCount, size_bytes: t.sizeBytes})),
		// isoman's own
		bytes_served: s.bytesServed,
		free_bytes: s.freeBytes ?? null,
	};
}

/** `days`, `period` as ISOMan reads them: Go's Atoi within 1..365 else 30; "weekly" else "daily". */
export function trendOptions(period: string | null | undefined, days: string | null | undefined): {period: TrendPeriod; days: number} {
	const n = days !== null && days !== undefined && /^[+-]?\d+$/.test(days) ? Number(days) : Number.NaN;
	return {period: period === 'weekly' ? 'weekly' : 'daily', days: Number.isSafeInteger(n) && n >= 1 && n <= 365 ? n : 30};
}
