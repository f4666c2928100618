import {describe, expect, it} from 'vitest';
import {image} from './helpers/image.js';
import {groupSummary} from '../../source/ui/file-state.js';
import {buildTree, flattenTree, nameKey, scrollWindow, versionKey} from '../../source/ui/tree.js';
import {compareVersions} from '../../source/ui/version-order.js';

describe('version order', () => {
	it('compares numbers as numbers and puts pre-releases before their release', () => {
		const sorted = ['3.9.1', '3.20.3', '3.20.0', '2.0', '2.0-rc1', '2.0.1', '24.04', '22.04.4', '14.1-RELEASE', '41-1.4'].sort(compareVersions);
		expect(sorted).toEqual(['2.0-rc1', '2.0', '2.0.1', '3.9.1', '3.20.0', '3.20.3', '14.1-RELEASE', '22.04.4', '24.04', '41-1.4']);
	});
});

describe('tree', () => {
	const images = [image('debian', '12.5.0'), image('alpine', '3.9.1'), image('alpine', '3.20.3'), image('alpine', '3.20.3', {arch: 'aarch64'})];

	it('sorts names A→Z and versions newest first', () => {
		const rows = flattenTree(buildTree(images), new Set(), '');
		expect(rows.map(r => `${r.depth}:${r.label}`)).toEqual([
			'0:alpine',
			'1:3.20.3',
			'2:aarch64 iso',
			'2:x86_64 iso',
			'1:3.9.1',
			'2:x86_64 iso',
			'0:debian',
			'1:12.5.0',
			'2:x86_64 iso',
		]);
	});

	it('hides the children of collapsed nodes, and shows every match expanded while filtering', () => {
		const tree = buildTree(images);
		const collapsed = new Set([nameKey('alpine'), versionKey('debian', '12.5.0')]);
		expect(flattenTree(tree, collapsed, '').map(r => r.label)).toEqual(['alpine', 'debian', '12.5.0']);
		expect(flattenTree(tree, collapsed, 'aarch').map(r => r.label)).toEqual(['alpine', '3.20.3', 'aarch64 iso']);
		expect(flattenTree(tree, collapsed, 'alpine 3.9').map(r => r.label)).toEqual(['alpine', '3.9.1', 'x86_64 iso']);
		expect(flattenTree(tree, collapsed, 'nothing')).toEqual([]);
	});

	it('summarises a group: files, downloads with their progress, queued, failed', () => {
		const a = image('x', '1', {status: 'downloading', sizeBytes: 100, downloadedBytes: 43});
		const b = image('x', '1');
		const c = image('x', '1', {status: 'failed'});
		const byId = new Map([a, b, c].map(i => [i.id, i]));
		expect(groupSummary([a.id, b.id, c.id], byId, new Map())).toBe('3 files, 1 downloading 43%, 1 queued, 1 failed');
	});
});

describe('scrollWindow', () => {
	it('keeps the selection inside the window with a margin, and the window inside the list', () => {
		expect(scrollWindow(0, 0, 100, 10)).toBe(0);
		expect(scrollWindow(0, 7, 100, 10)).toBe(0);
		expect(scrollWindow(0, 8, 100, 10)).toBe(1);
		expect(scrollWindow(50, 51, 100, 10)).toBe(49);
		expect(scrollWindow(0, 99, 100, 10)).toBe(90);
		expect(scrollWindow(90, 0, 100, 10)).toBe(0);
		expect(scrollWindow(5, 3, 5, 10)).toBe(0);
	});
});
