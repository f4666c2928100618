/**
 * The library as a tree (OS name ▸ version ▸ file), flattened to the rows currently visible: a collapsed-key set
 * plus a text filter decide which rows exist (lazygit's filetree model). Rows carry stable keys so the selection
 * can follow an item when rows are added, removed or re-sorted. Pure; memoised on its inputs' identity.
 */
import type {Image} from '../core/index.js';
import {compareVersions} from './version-order.js';

export type RowKind = 'name' | 'version' | 'file';

export type Row = {
	key: string;
	kind: RowKind;
	depth: 0 | 1 | 2;
	label: string;
	/** Group rows: whether children are shown. */
	expanded: boolean;
	/** Group rows: the files below; file rows: the file itself. */
	imageIds: readonly string[];
	/** Key of the parent row (undefined at the top). */
	parent?: string;
	/** Number of direct children (versions of a name, files of a version). */
	childCount: number;
};

export const nameKey = (name: string) => `n:${name}`;
export const versionKey = (name: string, version: string) => `v:${name}/${version}`;

type VersionNode = {key: string; version: string; files: Image[]};
type NameNode = {key: string; name: string; versions: VersionNode[]};

export function fileLabel(image: Pick<Image, 'arch' | 'edition' | 'fileType'>): string {
	return [image.arch, image.edition, image.fileType].filter(Boolean).join(' ');
}

const byFile = (a: Image, b: Image) =>
	a.arch.localeCompare(b.arch) || (a.edition ?? '').localeCompare(b.edition ?? '') || a.fileType.localeCompare(b.fileType) || a.id.localeCompare(b.id);

/** Names A→Z, versions newest first, files by arch, edition, type. */
export function buildTree(images: readonly Image[]): NameNode[] {
	const names = new Map<string, Map<string, Image[]>>();
	for (const image of images) {
		let versions = names.get(image.name);
		if (!versions) names.set(image.name, (versions = new Map()));
		let files = versions.get(image.version);
		if (!files) versions.set(image.version, (files = []));
		files.push(image);
	}

	return [...names.entries()]
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
		.map(([name, versions]) => ({
			key: nameKey(name),
			name,
			versions: [...versions.entries()]
				.sort(([a], [b]) => compareVersions(b, a))
				.map(([version, files]) => ({key: versionKey(name, version), version, files: files.sort(byFile)})),
		}));
}

/** Other names of an architecture, so that `arm64` finds aarch64 images and `amd64` x86_64 ones. */
const ARCH_ALIASES: Record<string, string> = {
	x86_64: 'amd64 x64 x86-64',
	aarch64: 'arm64 armv8',
	i686: 'i386 x86 32-bit',
	i386: 'i686 x86 32-bit',
	armhf: 'armv7 arm32',
	armv7: 'armhf arm32',
	ppc64le: 'ppc64el power',
	riscv64: 'risc-v rv64',
	s390x: 'ibm-z',
};

/**
 * Every whitespace-separated term must occur (case-insensitive) in the image's name, version, arch (or one of its
 * aliases), edition, type, file name, status, or its download or checksum URL.
 */
export function matchesFilter(image: Image, filter: string): boolean {
	const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
	if (terms.length === 0) return true;
	const haystack =
		`${image.name} ${image.version} ${image.arch} ${ARCH_ALIASES[image.arch] ?? ''} ${image.edition ?? ''} ${image.fileType} ${image.filename} ${image.status} ${image.downloadUrl} ${image.checksumUrl ?? ''}`.toLowerCase();
	return terms.every(term => haystack.includes(term));
}

/** The visible rows. While a filter is active, every group holding a match is shown expanded. */
export function flattenTree(tree: readonly NameNode[], collapsed: ReadonlySet<string>, filter: string): Row[] {
	const rows: Row[] = [];
	const filtering = filter.trim() !== '';
	for (const nameNode of tree) {
		const versions = filtering
			? nameNode.versions.map(v => ({...v, files: v.files.filter(f => matchesFilter(f, filter))})).filter(v => v.files.length > 0)
			: nameNode.versions;
		if (versions.length === 0) continue;
		const nameExpanded = filtering || !collapsed.has(nameNode.key);
		rows.push({
			key: nameNode.key,
			kind: 'name',
			depth: 0,
			label: nameNode.name,
			expanded: nameExpanded,
			imageIds: versions.flatMap(v => v.files.map(f => f.id)),
			childCount: versions.length,
		});
		if (!nameExpanded) continue;
		for (const versionNode of versions) {
			const versionExpanded = filtering || !collapsed.has(versionNode.key);
			rows.push({
				key: versionNode.key,
				kind: 'version',
				depth: 1,
				label: versionNode.version,
				expanded: versionExpanded,
				imageIds: versionNode.files.map(f => f.id),
				parent: nameNode.key,
				childCount: versionNode.files.length,
			});
			if (!versionExpanded) continue;
			for (const file of versionNode.files) {
				rows.push({
					key: file.id,
					kind: 'file',
					depth: 2,
					label: fileLabel(file),
					expanded: false,
					imageIds: [file.id],
					parent: versionNode.key,
					childCount: 0,
				});
			}
		}
	}

	return rows;
}

export type RowModel = {rows: Row[]; indexOf: ReadonlyMap<string, number>};

/** Memoised rows for (images, collapsed, filter): render and key handling share one computation. */
export function createRowSelector(): (images: readonly Image[], collapsed: ReadonlySet<string>, filter: string) => RowModel {
	let lastImages: readonly Image[] | undefined;
	let lastTree: NameNode[] = [];
	let lastCollapsed: ReadonlySet<string> | undefined;
	let lastFilter: string | undefined;
	let lastModel: RowModel = {rows: [], indexOf: new Map()};
	return (images, collapsed, filter) => {
		if (images === lastImages && collapsed === lastCollapsed && filter === lastFilter) return lastModel;
		if (images !== lastImages) lastTree = buildTree(images);
		lastImages = images;
		lastCollapsed = collapsed;
		lastFilter = filter;
		const rows = flattenTree(lastTree, collapsed, filter);
		lastModel = {rows, indexOf: new Map(rows.map((row, index) => [row.key, index]))};
		return lastModel;
	};
}

/** First row to show so that `index` stays visible with `margin` rows of context above and below. */
export function scrollWindow(previousTop: number, index: number, count: number, height: number, margin = 2): number {
	if (height <= 0 || count <= height) return 0;
	const m = Math.max(0, Math.min(margin, Math.floor((height - 1) / 2)));
	let top = previousTop;
	if (index < top + m) top = index - m;
	if (index > top + height - 1 - m) top = index - height + 1 + m;
	return Math.max(0, Math.min(top, count - height));
}
