import './helpers/env.js';
import {afterEach, describe, expect, it} from 'vitest';
import {startTestServer, type TestServer} from '../support/server.js';
import {type Harness, KEYS, appPerTest, formField as field, underField as under} from './helpers/render-app.js';

const render = appPerTest();
let h: Harness | undefined;
let server: TestServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});


describe('signatures in the TUI', () => {
	it('the add form proposes the signature found next to a checksum URL (a HEAD request) and adds the image with it', async () => {
		server = await startTestServer();
		await server.serve('/d/SHA256SUMS', {kind: 'buffer', data: Buffer.from('x')});
		await server.serve('/d/SHA256SUMS.sign', {kind: 'buffer', data: Buffer.from('sig')});
		h = await render({columns: 140, rows: 34});
		await h.press('a');
		await h.waitFor(f => f.includes('Add an image'), 'the form');
		await h.press(server.url('/d/debian-12.7.0-amd64-netinst.iso'));
		for (let i = 0; i < 6; i++) await h.press(KEYS.tab);
		await h.press(server.url('/d/SHA256SUMS'));
		await h.press(KEYS.tab);
		const frame = await h.waitFor(f => field(f, 'Signature').includes('SHA256SUMS.sign'), 'the proposed signature URL');
		expect(under(frame, 'Signature')).toContain('found SHA256SUMS.sign next to the checksum file');
		// The URL check when the URL was left (HEAD), then .gpg (404), then .sign; HEAD only, no byte of the image.
		expect(server.requests.map(r => `${r.method} ${r.path}`)).toEqual(['HEAD /d/debian-12.7.0-amd64-netinst.iso', 'HEAD /d/SHA256SUMS.gpg', 'HEAD /d/SHA256SUMS.sign']);
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('Added debian'), 'added');
		expect(h.manager.list()[0]).toMatchObject({checksumUrl: server.url('/d/SHA256SUMS'), signatureUrl: server.url('/d/SHA256SUMS.sign')});
	});

	it('says when nothing was found, and that a CHECKSUM file is clear-signed; a key not in the keyring is an error on its field', async () => {
		server = await startTestServer();
		h = await render({columns: 140, rows: 34});
		await h.press('a');
		await h.press(server.url('/d/debian-12.7.0-amd64-netinst.iso'));
		for (let i = 0; i < 6; i++) await h.press(KEYS.tab);
		await h.press(server.url('/d/SHA256SUMS'));
		await h.press(KEYS.tab);
		await h.waitFor(f => under(f, 'Signature').includes('no .gpg/.sign/.asc/.sig next to the checksum file'), 'nothing found');
		expect(field(h.frame(), 'Signature')).not.toContain('http');
		await h.press('\x1b[Z');
		await h.press(KEYS.ctrlU);
		await h.press(server.url('/f/Fedora-Server-41-1.4-x86_64-CHECKSUM'));
		await h.press(KEYS.tab);
		await h.waitFor(f => under(f, 'Signature').includes('a clear-signed CHECKSUM is checked when it arrives'), 'clear-signed note');
		await h.press(KEYS.tab);
		await h.press('64A2BC1F00DD');
		await h.press(KEYS.enter);
		await h.waitFor(f => under(f, 'Key').includes('no key 64A2BC1F00DD in the keyring'), 'key error');
		expect(h.manager.list()).toEqual([]);
	});

	it('a signed image has its own mark in the tree, and the details say who signed it and when', async () => {
		h = await render({
			columns: 150,
			rows: 30,
			seed(manager) {
				const image = manager.addNow({url: 'http://127.0.0.1:9/x/debian-12.7.0-amd64-netinst.iso', checksum: `sha256:${'ab'.repeat(32)}`});
				manager.catalogue.update(image.id, {
					signedByFingerprint: '64A2DEADBEEF00112233445566778899AABB2FFB',
					signedByUserId: 'Debian CD signing key <debian-cd@lists.debian.org>',
					signedAt: '2026-11-09T10:00:00.000Z',
					checksum: 'ab'.repeat(32),
				});
				manager.catalogue.transition(image.id, 'downloading');
				manager.catalogue.transition(image.id, 'verifying');
				manager.catalogue.transition(image.id, 'complete');
			},
		});
		await h.waitFor(f => f.includes('✓ signed'), 'the signed mark');
		expect(h.frame()).not.toContain('✓ verified');
		await h.press('j');
		await h.press('j');
		const frame = await h.waitFor(f => f.includes('Signature'), 'the file details');
		// The details pane wraps the line: read it back as one.
		const details = frame.split('\n').map(line => line.split('│').slice(1).join('│').trim()).join(' ');
		expect(details).toContain('Signature signed by Debian CD signing key <debian-cd@lists.debian.org>, 64A2…2FFB, on 2026-11-09');
	});
});
