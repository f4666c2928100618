import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {prepareAdd} from '../../source/core/add-input.js';
import type {NewImage} from '../../source/core/catalogue/repository.js';
import type {Manager} from '../../source/core/manager.js';
import {type Harness, KEYS, appPerTest, url} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;

/** 2,000 images: 100 systems × 20 versions, inserted in one transaction. */
function seed2000(manager: Manager) {
	const rows: NewImage[] = [];
	for (let os = 0; os < 100; os++) {
		for (let v = 0; v < 20; v++) rows.push(prepareAdd({url: url(`os${String(os).padStart(3, '0')}-${v}.0-x86_64.iso`)}));
	}

	manager.catalogue.db.transaction(() => {
		for (const row of rows) manager.catalogue.insert(row);
	})();
}

const ROWS = 30;
const LIST_HEIGHT = ROWS - 1 - 3;

/** The selected line's position among the list rows (0 = first list row), checking the frame's height. */
function selectedPosition(h: Harness): number {
	const lines = h.frame().split('\n');
	expect(lines).toHaveLength(ROWS - 1);
	const index = lines.findIndex(line => line.startsWith('›'));
	expect(index, 'the selection is visible').toBeGreaterThan(0);
	return index - 1;
}

describe('windowing', () => {
	it('renders only the rows that fit and keeps the selection visible with a margin over 2,000 images', async () => {
		h = await render({seed: seed2000, rows: ROWS, columns: 100});
		expect(h.store.getSnapshot().images).toHaveLength(2000);
		// 100 names + 2000 versions + 2000 files.
		await h.waitFor(f => f.includes('1/4100'), 'the position line');

		await h.press('G');
		await h.waitFor(f => f.includes('4100/4100'), 'G to the end');
		expect(h.selectedLine()).toContain('x86_64 iso');
		expect(selectedPosition(h)).toBe(LIST_HEIGHT - 1);

		for (let i = 0; i < 5; i++) await h.press('k');
		await h.waitFor(f => f.includes('4095/4100'), 'five up');
		// Still in place: it is well inside the window.
		expect(selectedPosition(h)).toBe(LIST_HEIGHT - 6);

		await h.press(KEYS.pageUp);
		await h.press(KEYS.pageUp);
		await h.waitFor(f => f.includes(`${4095 - 2 * (LIST_HEIGHT - 1)}/4100`), 'two pages up');
		const position = selectedPosition(h);
		expect(position).toBeGreaterThanOrEqual(2);
		expect(position).toBeLessThanOrEqual(LIST_HEIGHT - 3);

		await h.press('g');
		await h.waitFor(f => f.includes('1/4100'), 'g to the top');
		expect(selectedPosition(h)).toBe(0);
		for (let i = 0; i < 40; i++) await h.press('j');
		await h.waitFor(f => f.includes('41/4100'), '40 down');
		// The scroll-off margin: two rows stay visible below the selection.
		expect(selectedPosition(h)).toBe(LIST_HEIGHT - 3);

		await h.press(KEYS.pageDown);
		await h.waitFor(f => f.includes(`${41 + LIST_HEIGHT - 1}/4100`), 'a page down');
		expect(selectedPosition(h)).toBe(LIST_HEIGHT - 3);
	});

	it('follows the selected item when rows are inserted above it and when it is removed', async () => {
		h = await render({seed: seed2000, rows: ROWS, columns: 100});
		await h.press('G');
		await h.waitFor(f => f.includes('4100/4100'), 'G');
		const selected = h.controller.selectedImage()!;
		expect(selected.name).toBe('os099');
		for (let i = 0; i < 3; i++) h.manager.addNow({url: url(`aaa${i}-1.0-x86_64.iso`)});
		await h.waitFor(f => f.includes('4109/4109'), 'the same item, now further down');
		expect(h.controller.selectedImage()?.id).toBe(selected.id);
		expect(selectedPosition(h)).toBe(LIST_HEIGHT - 1);

		await h.manager.remove(selected.id);
		await h.waitFor(f => f.includes('/4107'), 'the row and its version gone');
		// The selection stays where it was, on a neighbour.
		expect(h.selectedLine()).toBeDefined();
	});
});
