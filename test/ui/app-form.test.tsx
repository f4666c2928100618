import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, formField as field, underField as under, url} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;


describe('add form', () => {
	it('fills name, version, arch and edition from the URL as it is typed, and adds the image', async () => {
		h = await render({columns: 120, rows: 30});
		await h.press('a');
		await h.waitFor(f => f.includes('Add an image'), 'the form');
		await h.press('https://cdn.example.org/releases/ubuntu-24.04.1-live-server-amd64.iso');
		const frame = await h.waitFor(f => field(f, 'Version').includes('24.04.1'), 'inferred version');
		expect(field(frame, 'Name')).toContain('ubuntu');
		expect(field(frame, 'Arch')).toContain('x86_64');
		expect(field(frame, 'Edition')).toContain('live-server');
		expect(frame).toMatch(/Type\s+iso/);
		expect(frame).toContain('Saved as images/ubuntu/24.04.1/x86_64/ubuntu-24.04.1-live-server-x86_64.iso');
		// Edit the name: Tab past the type to it, clear, type.
		await h.press(KEYS.tab);
		await h.press(KEYS.tab);
		await h.press(KEYS.ctrlU);
		await h.press('Ubuntu Server');
		await h.waitFor(f => f.includes('Saved as images/ubuntu-server/24.04.1/'), 'the edited name, normalised');
		// A digest in the checksum field.
		for (let i = 0; i < 4; i++) await h.press(KEYS.tab);
		await h.press(`sha256:${'ab'.repeat(32)}`);
		await h.press(KEYS.enter);
		const after = await h.waitFor(f => f.includes('Added ubuntu-server 24.04.1 x86_64 live-server iso'), 'the success message');
		expect(after).not.toContain('Add an image');
		expect(h.selectedLine()).toContain('x86_64 live-server iso');
		const [image] = h.manager.list();
		expect(image).toMatchObject({name: 'ubuntu-server', version: '24.04.1', edition: 'live-server', checksumType: 'sha256', expectedChecksum: 'ab'.repeat(32), checksumUrl: null});
	});

	it('shows errors inline next to their field, with the core rules, and does not add', async () => {
		h = await render({columns: 120, rows: 30});
		await h.press('a');
		await h.press('ftp://example.org/x.iso');
		await h.press(KEYS.tab);
		let frame = await h.waitFor(f => under(f, 'URL').includes('only http and https'), 'url error under the URL');
		expect(under(frame, 'URL')).toContain('✗');
		// Back to the URL (Shift-Tab), fix it; an unknown type is reported under the Type field.
		await h.press('\x1b[Z');
		await h.press(KEYS.ctrlU);
		await h.press('https://example.org/alpine-3.20.3-x86_64.exe');
		await h.press(KEYS.tab);
		frame = await h.waitFor(f => under(f, 'Type').includes('cannot tell the image type'), 'type error');
		// In the form's words: the field to fill, not a flag.
		expect(under(frame, 'Type')).toContain('fill in a Type');
		expect(frame).not.toContain('--type');
		await h.press('\x1b[Z');
		await h.press(KEYS.ctrlU);
		await h.press('https://example.org/alpine-3.20.3-x86_64.iso');
		// A bad version and a bad digest.
		await h.press(KEYS.tab);
		await h.press(KEYS.tab);
		await h.press(KEYS.tab);
		await h.press(KEYS.ctrlU);
		await h.press('3 20');
		await h.press(KEYS.down);
		await h.press(KEYS.down);
		await h.press(KEYS.down);
		await h.press('sha256:xyz');
		frame = await h.waitFor(f => under(f, 'Version').includes('"3 20" may use only letters, digits') && under(f, 'Checksum').includes('✗'), 'both errors');
		// The rule in words, without the pattern behind it or the field's name before it.
		expect(under(frame, 'Version')).not.toMatch(/\^|\[A-Z|version:/);
		await h.press(KEYS.enter);
		// Still the form, with the focus moved to the first field the core refused.
		frame = await h.waitFor(f => f.includes('Add an image') && /│ › Version/.test(f), 'focus on the version');
		expect(h.manager.list()).toHaveLength(0);
		// Fix the version (Backspace edits: 0x7F is Backspace here, not Delete) and the checksum, then add.
		for (let i = 0; i < 3; i++) await h.press(KEYS.backspace);
		await h.press('.20.3');
		await h.waitFor(f => field(f, 'Version').includes('3.20.3') && !under(f, 'Version').includes('✗'), 'version fixed');
		await h.press(KEYS.down);
		await h.press(KEYS.down);
		await h.press(KEYS.down);
		await h.press(KEYS.ctrlU);
		await h.press('https://example.org/SHA256SUMS');
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('Added alpine 3.20.3'), 'added');
		expect(h.manager.list()[0]).toMatchObject({checksumUrl: 'https://example.org/SHA256SUMS', expectedChecksum: null});
	});

	it('offers to jump to the existing image on a duplicate', async () => {
		h = await render({
			columns: 120,
			rows: 30,
			seed(manager) {
				manager.addNow({url: url('debian-12.5.0-amd64-netinst.iso')});
				manager.addNow({url: url('alpine-3.20.3-standard-x86_64.iso')});
			},
		});
		await h.waitFor(() => h!.selectedLine()?.includes('alpine') ?? false, 'alpine selected');
		await h.press('a');
		await h.press('https://mirror.example.net/debian-12.5.0-amd64-netinst.iso');
		await h.press(KEYS.enter);
		const frame = await h.waitFor(f => f.includes('Already in the library'), 'the duplicate dialog');
		expect(frame).toContain('debian 12.5.0 x86_64 netinst iso');
		expect(frame).toContain('[j] Jump to it');
		await h.press('j');
		await h.waitFor(f => !f.includes('Already in the library') && !f.includes('Add an image'), 'back to the list');
		expect(h.selectedLine()).toContain('x86_64 netinst iso');
		expect(h.manager.list()).toHaveLength(2);
	});

	it('Esc closes the form without adding (after asking, as something was typed)', async () => {
		h = await render();
		await h.press('a');
		await h.press('https://example.org/alpine-3.20.3-x86_64.iso');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('Discard this form?'), 'the question');
		await h.press('d');
		await h.waitFor(f => !f.includes('Add an image') && f.includes('library is empty'), 'closed');
		expect(h.manager.list()).toHaveLength(0);
	});
});
