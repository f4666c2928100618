/**
 * The add form checks a URL when the focus leaves it (a HEAD request, as Proxmox's "Query URL" does) against a real
 * HTTP server: what it found shows under the URL; a URL that names no file (`…/download?id=7`) takes the name its
 * server gives (Content-Disposition) for name, version, arch and type; Type is a field of its own and overrules.
 */
import './helpers/env.js';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startTestServer, type TestServer} from '../support/server.js';
import {type Harness, KEYS, appPerTest, formField as field, underField as under} from './helpers/render-app.js';

const render = appPerTest();
let server: TestServer;
beforeAll(async () => {
	server = await startTestServer();
	await server.serve('/download', {kind: 'generated', size: 3 * 1024 * 1024, seed: 7, fileType: 'qcow2'}, {headers: {'Content-Disposition': 'attachment; filename="debian-12-genericcloud-arm64.qcow2"'}});
	await server.serve('/pub/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 65_536, seed: 8, fileType: 'iso'});
});
afterAll(async () => server.close());

async function openForm(h: Harness, url: string): Promise<void> {
	await h.press('a');
	await h.waitFor(f => f.includes('Add an image'), 'the form');
	await h.press(url);
}

describe('the add form checks the URL', () => {
	it('…/download?id=7: the server\'s file name fills the fields and the type; the image is added with it', async () => {
		const h = await render({columns: 100, rows: 30});
		await openForm(h, server.url('/download?id=7'));
		await h.press(KEYS.tab);
		const frame = await h.waitFor(f => /reachable: 3\.0+ MiB, debian-12-genericcloud-arm64\.qcow2/.test(under(f, 'URL')), 'the check');
		expect(field(frame, 'Type')).toContain('qcow2');
		expect(field(frame, 'Name')).toContain('debian');
		expect(field(frame, 'Version')).toContain('12');
		expect(field(frame, 'Arch')).toContain('aarch64');
		expect(under(frame, 'Type')).not.toContain('✗');
		expect(server.requestsFor('/download').map(r => r.method)).toEqual(['HEAD']);
		await h.press(KEYS.enter);
		await h.waitFor(f => f.includes('Added debian 12 aarch64 genericcloud qcow2'), 'added');
		expect(h.manager.list()[0]).toMatchObject({fileType: 'qcow2', downloadUrl: server.url('/download?id=7'), filePath: 'debian/12/aarch64/debian-12-genericcloud-aarch64.qcow2'});
	});

	it('a typed Type overrules the URL\'s; a URL that is not there says why under it', async () => {
		const h = await render({columns: 100, rows: 30});
		await openForm(h, server.url('/pub/alpine-virt-3.20.3-x86_64.iso'));
		await h.press(KEYS.tab);
		await h.waitFor(f => /reachable: 64(\.0+)? KiB, alpine-virt-3\.20\.3-x86_64\.iso/.test(under(f, 'URL')), 'the check');
		await h.press(KEYS.ctrlU);
		await h.press('raw');
		await h.waitFor(f => f.includes('Saved as images/alpine-virt/3.20.3/x86_64/alpine-virt-3.20.3-x86_64.raw'), 'the typed type in the path');
		await h.press('\x1b[Z');
		await h.press(KEYS.ctrlU);
		await h.press(server.url('/gone/debian-12.5.0-amd64-netinst.iso'));
		await h.press(KEYS.tab);
		const frame = await h.waitFor(f => under(f, 'URL').includes('not reachable: HTTP 404'), 'the failed check');
		expect(under(frame, 'URL')).toContain('✗');
	});

	it('a URL whose server names no image file either: the Type field asks for one, in the form\'s words', async () => {
		const h = await render({columns: 120, rows: 30});
		await server.serve('/blob', {kind: 'generated', size: 1000, seed: 9, fileType: 'iso'});
		await openForm(h, server.url('/blob?id=3'));
		await h.press(KEYS.tab);
		const frame = await h.waitFor(f => under(f, 'URL').includes('reachable') && under(f, 'Type').includes('✗'), 'the check and the question');
		expect(under(frame, 'URL')).toContain('blob (no image type in that name)');
		expect(under(frame, 'Type')).toContain('cannot tell the image type from "blob": fill in a Type');
		expect(frame).not.toMatch(/--[a-z]/);
		// Typing one is enough (name and version then, as for any URL).
		await h.press('iso');
		await h.waitFor(f => !under(f, 'Type').includes('✗'), 'the type accepted');
	});
});
