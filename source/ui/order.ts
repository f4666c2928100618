/**
 * The orders the library can be listed in (the `o` key cycles them) and the comparators behind them: by name
 * (A→Z, versions newest first), by when added (newest first), by size (largest first), by status (what needs
 * attention first: running, queued, paused, failed, missing, complete). Groups sort by their "best" file, so a
 * tree sorted by size puts the OS with the largest total first. Pure.
 */
import type {Image, Status} from '../core/index.js';
import {compareVersions} from './version-order.js';

export const SORT_ORDERS = ['name', 'added', 'size', 'status'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];
export type ViewKind = 'tree' | 'list';

export const SORT_LABELS: Record<SortOrder, string> = {name: 'name', added: 'newest first', size: 'largest first', status: 'status'};

/** The order after `order` (name → added → size → status → name). */
export function nextOrder(order: SortOrder): SortOrder {
	return SORT_ORDERS[(SORT_ORDERS.indexOf(order) + 1) % SORT_ORDERS.length]!;
}

const STATUS_RANK: Record<Status, number> = {downloading: 0, verifying: 1, pending: 2, paused: 3, failed: 4, missing: 5, complete: 6};

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Within one version: by arch, edition, type (the tree's fixed order). */
export const byFile = (a: Image, b: Image) =>
	a.arch.localeCompare(b.arch) || (a.edition ?? '').localeCompare(b.edition ?? '') || a.fileType.localeCompare(b.fileType) || a.id.localeCompare(b.id);

/** Name A→Z, version newest first, then arch, edition, type. */
export const byIdentity = (a: Image, b: Image) => text(a.name, b.name) || compareVersions(b.version, a.version) || byFile(a, b);

/** A group's key for an order: what its files say together (newest added, total size, most urgent state). */
export type GroupKey = {added: string; size: number; rank: number};

export function groupKey(files: readonly Image[]): GroupKey {
	let added = '';
	let size = 0;
	let rank = Number.MAX_SAFE_INTEGER;
	for (const file of files) {
		if (file.createdAt > added) added = file.createdAt;
		size += file.sizeBytes ?? 0;
		rank = Math.min(rank, STATUS_RANK[file.status]);
	}

	return {added, size, rank};
}

/** Negative when group `a` comes first under `order` (ties: 0, the caller breaks them by name or version). */
export function compareGroups(order: SortOrder, a: GroupKey, b: GroupKey): number {
	switch (order) {
		case 'added':
			return text(b.added, a.added);
		case 'size':
			return b.size - a.size;
		case 'status':
			return a.rank - b.rank;
		default:
			return 0;
	}
}

/** Files under `order`, ties broken by identity. */
export function compareFiles(order: SortOrder, a: Image, b: Image): number {
	switch (order) {
		case 'added':
			return text(b.createdAt, a.createdAt) || byIdentity(a, b);
		case 'size':
			return (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || byIdentity(a, b);
		case 'status':
			return STATUS_RANK[a.status] - STATUS_RANK[b.status] || byIdentity(a, b);
		default:
			return byIdentity(a, b);
	}
}
