/**
 * The orders the library can be listed in (name, newest first, largest first, status) in the tree and in the flat
 * list: groups follow their files, ties fall back to the name order, and the list has one row per file.
 */
import {describe, expect, it} from 'vitest';
import {image} from './helpers/image.js';
import {nextOrder, SORT_ORDERS} from '../../source/ui/order.js';
import {buildTree, createRowSelector, flattenList, flattenTree} from '../../source/ui/tree.js';

const images = [
	image('alpine', '3.19.1', {sizeBytes: 100, createdAt: '2024-03-01T00:00:00.000Z', status: 'complete'}),
	image('alpine', '3.20.3', {sizeBytes: 200, createdAt: '2024-01-01T00:00:00.000Z', status: 'failed'}),
	image('debian', '12.5.0', {sizeBytes: 1000, createdAt: '2024-02-01T00:00:00.000Z', status: 'complete'}),
	image('fedora', '41', {sizeBytes: null, createdAt: '2024-04-01T00:00:00.000Z', status: 'downloading'}),
];
const names = (order: Parameters<typeof buildTree>[1]) => buildTree(images, order).map(node => node.name);
const versions = (order: Parameters<typeof buildTree>[1], name: string) => buildTree(images, order).find(node => node.name === name)!.versions.map(v => v.version);

describe('orders', () => {
	it('o cycles name → newest first → largest first → status → name', () => {
		expect(SORT_ORDERS.map(nextOrder)).toEqual(['added', 'size', 'status', 'name']);
	});

	it('the tree by name: names A→Z, versions newest first', () => {
		expect(names('name')).toEqual(['alpine', 'debian', 'fedora']);
		expect(versions('name', 'alpine')).toEqual(['3.20.3', '3.19.1']);
	});

	it('the tree by when added: the group with the newest file first, and within it the newest version', () => {
		expect(names('added')).toEqual(['fedora', 'alpine', 'debian']);
		expect(versions('added', 'alpine')).toEqual(['3.19.1', '3.20.3']);
	});

	it('the tree by size: the largest total first (unknown sizes count nothing)', () => {
		expect(names('size')).toEqual(['debian', 'alpine', 'fedora']);
		expect(versions('size', 'alpine')).toEqual(['3.20.3', '3.19.1']);
	});

	it('the tree by status: running first, then failed, then complete; a group by its most urgent file', () => {
		expect(names('status')).toEqual(['fedora', 'alpine', 'debian']);
		expect(versions('status', 'alpine')).toEqual(['3.20.3', '3.19.1']);
		// The rows follow the same order.
		expect(flattenTree(buildTree(images, 'status'), new Set(), '').filter(row => row.kind === 'name').map(row => row.label)).toEqual(['fedora', 'alpine', 'debian']);
	});

	it('the flat list: one row per file, labelled with name and version, in the order; the filter applies', () => {
		const bySize = flattenList(images, 'size', '');
		expect(bySize.map(row => row.label)).toEqual(['debian 12.5.0 x86_64 iso', 'alpine 3.20.3 x86_64 iso', 'alpine 3.19.1 x86_64 iso', 'fedora 41 x86_64 iso']);
		expect(bySize.every(row => row.kind === 'file' && row.depth === 0 && row.parent === undefined)).toBe(true);
		expect(flattenList(images, 'added', 'alpine').map(row => row.label)).toEqual(['alpine 3.19.1 x86_64 iso', 'alpine 3.20.3 x86_64 iso']);
	});

	it('the row selector recomputes when the order or the view changes, and only then', () => {
		const select = createRowSelector();
		const collapsed = new Set<string>();
		const tree = select(images, collapsed, '');
		expect(select(images, collapsed, '')).toBe(tree);
		const list = select(images, collapsed, '', {view: 'list', order: 'status'});
		expect(list.rows.map(row => row.key)).toEqual([images[3]!.id, images[1]!.id, images[0]!.id, images[2]!.id]);
		expect(select(images, collapsed, '', {view: 'list', order: 'status'})).toBe(list);
		expect(select(images, collapsed, '', {view: 'tree', order: 'size'}).rows[0]!.label).toBe('debian');
	});
});
