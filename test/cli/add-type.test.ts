/**
 * `isoman add` for a URL that names no file (`…/download?id=42`), through the built CLI against a real server:
 * `--type` says the type; without it the file name the server gives (Content-Disposition, a redirect's target) is
 * asked for (one HEAD request) and stands in; when nothing tells the type, one clear line asks for --type and
 * nothing is added. The image then downloads from the URL as given.
 */
import {describe, expect, it} from 'vitest';
import {inProcess, isoman, withLibraryAndServer, type ImageJson} from './helpers.js';

const library = withLibraryAndServer();
const json = (text: string) => JSON.parse(text) as ImageJson;

describe('isoman add, a URL with no file name', () => {
	it('--type qcow2 with --name and --version', async () => {
		const {dir, server} = await library.setUp();
		const added = json((await isoman(dir, ['add', server.url('/download?id=42'), '--type', 'qcow2', '--name', 'debian', '--version', '12', '--json'])).stdout);
		expect(added).toMatchObject({name: 'debian', version: '12', file_type: 'qcow2', file_path: 'debian/12/x86_64/debian-12-x86_64.qcow2'});
		expect(server.requestsFor('/download')).toHaveLength(0);
	});

	it('takes the name the server gives: Content-Disposition, or where it redirects', async () => {
		const {dir, server} = await library.setUp();
		await server.serve('/download', {kind: 'generated', size: 4096, seed: 1, fileType: 'qcow2'}, {headers: {'Content-Disposition': "attachment; filename*=UTF-8''debian-12-genericcloud-arm64.qcow2"}});
		const named = json((await isoman(dir, ['add', server.url('/download?id=42'), '--json'])).stdout);
		expect(named).toMatchObject({name: 'debian', version: '12', arch: 'aarch64', edition: 'genericcloud', file_type: 'qcow2'});
		expect(server.requestsFor('/download').map(r => r.method)).toEqual(['HEAD']);

		await server.serve('/files/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 4096, seed: 2, fileType: 'iso'});
		await server.serve('/latest', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/files/alpine-virt-3.20.3-x86_64.iso'});
		const redirected = json((await isoman(dir, ['add', server.url('/latest'), '--json'])).stdout);
		expect(redirected).toMatchObject({name: 'alpine-virt', version: '3.20.3', file_type: 'iso', download_url: server.url('/latest')});
	});

	it('nothing tells the type: one line asking for --type, exit 2, nothing added', async () => {
		const {dir, server} = await library.setUp();
		await server.serve('/blob', {kind: 'generated', size: 4096, seed: 3, fileType: 'iso'});
		const refused = await isoman(dir, ['add', server.url('/blob?id=1')], 2);
		expect(refused.stderr.trim().split('\n')).toHaveLength(1);
		expect(refused.stderr).toContain('cannot tell the image type from "blob"; give --type');
		const bad = await isoman(dir, ['add', server.url('/blob?id=1'), '--type', 'exe', '--name', 'x', '--version', '1'], 2);
		expect(bad.stderr).toContain('"exe" is not an image type');
		expect(await inProcess(dir).images()).toEqual([]);
	});
});
