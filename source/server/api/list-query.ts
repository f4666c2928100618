/**
 * `GET /api/isos` query: ISOMan's pagination and sorting, with its defaults and clamps (a value it cannot use
 * falls back to the default rather than failing), plus isoman's `status=` and `q=` filters (which do fail on a
 * status that does not exist: a typo must not look like an empty library).
 */
import {STATUSES, type Image, type Status} from '../../core/index.js';
import {ApiError} from './envelope.js';

export const SORT_FIELDS = ['name', 'version', 'size_bytes', 'created_at', 'status'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export type ListQuery = {page: number; pageSize: number; sortBy: SortField; sortDir: 'asc' | 'desc'; statuses?: Status[]; q?: string};

/** Go's strconv.Atoi, then "> 0": anything else is undefined (the caller's default applies). */
function positiveInt(value: string | null): number | undefined {
	if (value === null || !/^[+-]?\d+$/.test(value)) return undefined;
	const n = Number(value);
	return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function parseListQuery(params: URLSearchParams): ListQuery {
	const page = positiveInt(params.get('page')) ?? 1;
	const pageSize = Math.min(100, positiveInt(params.get('page_size')) ?? 10);
	const sortByRaw = params.get('sort_by') ?? '';
	const sortBy = (SORT_FIELDS as readonly string[]).includes(sortByRaw) ? (sortByRaw as SortField) : 'created_at';
	const sortDir = params.get('sort_dir') === 'asc' ? 'asc' : 'desc';
	const query: ListQuery = {page, pageSize, sortBy, sortDir};
	const status = params.getAll('status').flatMap(s => s.split(',')).map(s => s.trim()).filter(Boolean);
	if (status.length > 0) {
		const unknown = status.filter(s => !(STATUSES as readonly string[]).includes(s));
		if (unknown.length > 0) {
			throw new ApiError('VALIDATION_FAILED', `status: ${unknown.map(s => JSON.stringify(s.slice(0, 40))).join(', ')} is not one of ${STATUSES.join(', ')}`, {
				details: `status: must be one of ${STATUSES.join(', ')}`,
				fields: [{field: 'status', message: `status: must be one of ${STATUSES.join(', ')}`}],
			});
		}

		query.statuses = status as Status[];
	}

	const q = params.get('q')?.trim();
	if (q) query.q = q.slice(0, 200).toLowerCase();
	return query;
}

function sortKey(image: Image, field: SortField): string | number {
	switch (field) {
		case 'name':
			return image.name;
		case 'version':
			return image.version;
		case 'size_bytes':
			return image.sizeBytes ?? 0;
		case 'created_at':
			return image.createdAt;
		case 'status':
			return image.status;
	}
}

/** Byte order for strings, as SQLite's BINARY collation (ISOMan sorted in SQL). */
function compare(a: string | number, b: string | number): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

export type ListPage = {items: Image[]; page: number; pageSize: number; total: number; totalPages: number};

export function applyListQuery(images: readonly Image[], query: ListQuery): ListPage {
	let rows = images;
	if (query.statuses) {
		const wanted = new Set(query.statuses);
		rows = rows.filter(image => wanted.has(image.status));
	}

	if (query.q) {
		const needle = query.q;
		rows = rows.filter(image => [image.id, image.name, image.version, image.arch, image.edition ?? '', image.filename].some(s => s.toLowerCase().includes(needle)));
	}

	const sign = query.sortDir === 'asc' ? 1 : -1;
	// Ties keep a stable order (oldest first, then id) so that pages never overlap or skip a row.
	const sorted = [...rows].sort((a, b) => sign * compare(sortKey(a, query.sortBy), sortKey(b, query.sortBy)) || compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
	const total = sorted.length;
	const offset = (query.page - 1) * query.pageSize;
	return {
		items: offset < total ? sorted.slice(offset, offset + query.pageSize) : [],
		page: query.page,
		pageSize: query.pageSize,
		total,
		totalPages: Math.ceil(total / query.pageSize),
	};
}
