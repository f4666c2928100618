import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import type {EditPatch} from '../../source/core/index.js';
import {type Harness, formField, KEYS, appPerTest, url} from './helpers/render-app.js';

const render = appPerTest();

/** Record what the controller sends to the (real) library's edit. */
function recordEdits(h: Harness): EditPatch[] {
	const patches: EditPatch[] = [];
	const edit = h.manager.edit.bind(h.manager);
	h.manager.edit = async (ref, patch) => {
		patches.push(patch);
		return edit(ref, patch);
	};
	return patches;
}

/** The app on `options`, the last row selected and its edit form open; what goes to edit is recorded. */
async function openEditor(options: Parameters<typeof render>[0]): Promise<{h: Harness; patches: EditPatch[]}> {
	const h = await render(options);
	const patches = recordEdits(h);
	await h.press('G');
	await h.press('e');
	await h.waitFor(f => f.includes('Edit the image'), 'the edit form');
	return {h, patches};
}

const failedImage = (file: string) => (manager: Harness['manager']) => {
	const image = manager.addNow({url: url(file)});
	manager.catalogue.transition(image.id, 'failed', {errorCode: 'http_status', errorMessage: 'HTTP 404'});
};

describe('the edit form (e)', () => {
	it('opens pre-filled with the selected image, sends only what changed, and the row follows', async () => {
		const {h, patches} = await openEditor({columns: 120, rows: 30, seed: failedImage('edme-1.0-x86_64.iso')});
		let frame = h.frame();
		expect(formField(frame, 'Name')).toContain('edme');
		expect(formField(frame, 'Version')).toContain('1.0');
		expect(formField(frame, 'URL')).toContain('edme-1.0-x86_64.iso');
		expect(frame).toContain('Saved as images/edme/1.0/x86_64/edme-1.0-x86_64.iso');
		// Focus starts on the name; Tab to the version, replace it.
		await h.press(KEYS.tab);
		await h.press(KEYS.ctrlU);
		await h.press('2.0');
		frame = await h.waitFor(f => f.includes('Saved as images/edme/2.0/x86_64/edme-2.0-x86_64.iso'), 'the new path previewed');
		await h.press(KEYS.enter);
		frame = await h.waitFor(f => f.includes('Saved edme 2.0'), 'the saved message');
		expect(patches).toEqual([{version: '2.0'}]);
		expect(h.manager.list()[0]).toMatchObject({version: '2.0', status: 'failed', downloadUrl: url('edme-1.0-x86_64.iso'), filePath: 'edme/2.0/x86_64/edme-2.0-x86_64.iso'});
		expect(frame).not.toContain('Edit the image');
	});

	it('a new URL on a failed image queues it again (the rules allow URLs there)', async () => {
		const {h, patches} = await openEditor({columns: 120, rows: 30, seed: failedImage('gone-1.0-x86_64.iso')});
		await h.press('\x1b[Z'); // Shift-Tab: from the name back to the URL
		await h.press(KEYS.ctrlU);
		await h.press(url('moved-1.0-x86_64.iso'));
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('Saved gone 1.0'), 'saved');
		expect(patches).toEqual([{url: url('moved-1.0-x86_64.iso')}]);
		expect(h.manager.list()[0]).toMatchObject({status: 'pending', downloadUrl: url('moved-1.0-x86_64.iso'), name: 'gone', version: '1.0'});
	});

	it('a queued image cannot be edited: e says why (the rules module\'s reason) and opens nothing', async () => {
		const h = await render({columns: 120, rows: 30, seed: manager => void manager.addNow({url: url('busy-1.0-x86_64.iso')})});
		await h.press('G');
		await h.press('e');
		const frame = await h.waitFor(f => f.includes('cannot be edited while it is queued'), 'the refusal');
		expect(frame).not.toContain('Edit the image');
		expect(h.controller.getState().form).toBeUndefined();
	});

	it('a bad field and a taken identity are refused (add\'s validation, the library\'s unique identity), and nothing changes', async () => {
		const {h} = await openEditor({
			columns: 120,
			rows: 30,
			seed: manager => {
				failedImage('taken-1.0-x86_64.iso')(manager);
				failedImage('other-1.0-x86_64.iso')(manager);
			},
		});
		// A version that breaks the naming rules: add's own validation, shown under the field.
		await h.press(KEYS.tab);
		await h.press(KEYS.ctrlU);
		await h.press('a b');
		await h.press(KEYS.enter);
		const frame = await h.waitFor(f => f.includes('"a b" may use only letters, digits'), 'the field error');
		expect(frame).toContain('Edit the image');
		expect(h.manager.list().map(i => i.version)).toEqual(['1.0', '1.0']);
		// Another image's identity: the library refuses, and the form offers to jump to the one that exists.
		const other = h.manager.list().find(i => i.name === 'other')!;
		await h.press(KEYS.ctrlU);
		await h.press('1.0');
		await h.press('\x1b[Z');
		await h.press(KEYS.ctrlU);
		await h.press('other');
		await h.press(KEYS.enter);
		const dialog = await h.waitFor(f => f.includes('Already in the library'), 'the duplicate dialog');
		expect(dialog).toContain(`id ${other.id}`);
		expect(h.manager.list().map(i => i.name).sort()).toEqual(['other', 'taken']);
	});

	it('a signature setting cannot be edited: changing one is refused in the form with the API\'s words', async () => {
		const {h, patches} = await openEditor({columns: 120, rows: 34, seed: failedImage('sig-1.0-x86_64.iso')});
		for (let i = 0; i < 5; i++) await h.press(KEYS.tab); // name → version → arch → edition → checksum → signature
		await h.press('https://example.org/SHA256SUMS.gpg');
		await h.press(KEYS.enter);
		const frame = await h.waitFor(f => f.includes('a signature setting cannot be edited'), 'the refusal');
		expect(frame).toContain('Edit the image');
		expect(patches).toEqual([]);
	});

	it('Esc on an unchanged edit form closes it at once; Enter with nothing changed says so', async () => {
		const {h, patches} = await openEditor({columns: 120, rows: 30, seed: failedImage('same-1.0-x86_64.iso')});
		await h.press(KEYS.escape);
		await h.waitFor(f => !f.includes('Edit the image'), 'closed without asking');
		await h.press('e');
		await h.waitFor(f => f.includes('Edit the image'), 'the form again');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('Nothing changed') && !f.includes('Edit the image'), 'nothing to save');
		expect(patches).toEqual([]);
		// Changed, then Esc: it asks before throwing the change away.
		await h.press('e');
		await h.waitFor(f => f.includes('Edit the image'), 'the form a third time');
		await h.press('x');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('Discard this form?'), 'the question');
	});
});
