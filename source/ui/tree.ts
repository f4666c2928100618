/**
 * The library as a tree (OS name ▸ version ▸ file), flattened to the rows currently visible: a collapsed-key set
 * plus a text filter decide which rows exist (lazygit's filetree model). Rows carry stable keys so the selection
 * can follow an item when rows are added, removed or re-sorted. The same images can also be a flat list (one row
 * per file); both follow the chosen order (order.ts). Pure; memoised on its inputs' identity.
 */
import type {Image} from '../core/index.js';
import {byFile, compareFiles, compareGroups, groupKey, type SortOrder, type ViewKind} from './order.js';
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

/**
 * Names, versions and files in `order`: by name, names A→Z, versions newest first, files by arch, edition, type;
 * by another order, groups by what their files say together (order.ts), ties by name or version.
 */
export function buildTree(images: readonly Image[], order: SortOrder = 'name'): NameNode[] {
	const names = new Map<string, Map<string, Image[]>>();
	for (const image of images) {
		let versions = names.get(image.name);
		if (!versions) names.set(image.name, (versions = new Map()));
		let files = versions.get(image.version);
		if (!files) versions.set(image.version, (files = []));
		files.push(image);
	}

	const nodes = [...names.entries()].map(([name, versions]) => {
		const versionNodes = [...versions.entries()].map(([version, files]) => ({
			key: versionKey(name, version),
			version,
			files: files.sort(order === 'name' ? byFile : (a, b) => compareFiles(order, a, b)),
			group: groupKey(files),
		}));
		versionNodes.sort((a, b) => compareGroups(order, a.group, b.group) || compareVersions(b.version, a.version));
		return {key: nameKey(name), name, versions: versionNodes, group: groupKey(versionNodes.flatMap(v => v.files))};
	});
	nodes.sort((a, b) => compareGroups(order, a.group, b.group) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return nodes.map(({key, name, versions}) => ({key, name, versions: versions.map(({key, version, files}) => ({key, version, files}))}));
}

/** The flat list: one row per file (matching the filter), in `order`. */
export function flattenList(images: readonly Image[], order: SortOrder, filter: string): Row[] {
	return images
		.filter(image => matchesFilter(image, filter))
		.sort((a, b) => compareFiles(order, a, b))
		.map(image => ({
			key: image.id,
			kind: 'file' as const,
			depth: 0 as const,
			label: `${image.name} ${image.version} ${fileLabel(image)}`,
			expanded: false,
			imageIds: [image.id],
			childCount: 0,
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

export type RowOptions = {order?: SortOrder; view?: ViewKind};

/** Memoised rows for (images, collapsed, filter, order, view): render and key handling share one computation. */
export function createRowSelector(): (images: readonly Image[], collapsed: ReadonlySet<string>, filter: string, options?: RowOptions) => RowModel {
	let last: {images: readonly Image[]; collapsed: ReadonlySet<string>; filter: string; order: SortOrder; view: ViewKind} | undefined;
	let tree: {images: readonly Image[]; order: SortOrder; nodes: NameNode[]} | undefined;
	let lastModel: RowModel = {rows: [], indexOf: new Map()};
	return (images, collapsed, filter, {order = 'name', view = 'tree'} = {}) => {
		if (last && images === last.images && collapsed === last.collapsed && filter === last.filter && order === last.order && view === last.view) return lastModel;
		last = {images, collapsed, filter, order, view};
		let rows: Row[];
		if (view === 'list') {
			rows = flattenList(images, order, filter);
		} else {
			if (!tree || tree.images !== images || tree.order !== order) tree = {images, order, nodes: buildTree(images, order)};
			rows = flattenTree(tree.nodes, collapsed, filter);
		}

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
