/**
 * The add form's URL check against a real HTTP server on 127.0.0.1: reachable or why not, the size, the file name
 * from Content-Disposition or a redirect's target, a HEAD-refusing server asked with a one-byte GET, and nothing
 * downloaded.
 */
import net from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createHttpClient, type HttpClient} from '../../source/core/download/http.js';
import {queryUrl} from '../../source/core/download/query-url.js';
import {startTestServer, type TestServer} from '../support/server.js';

let server: TestServer;
let client: HttpClient;
beforeAll(async () => {
	server = await startTestServer();
	client = createHttpClient({userAgent: 'isoman-test'});
});
afterAll(async () => {
	await client.close();
	await server.close();
});

describe('queryUrl', () => {
	it('a plain file: reachable, its size and name, by one HEAD request and no body', async () => {
		await server.serve('/pub/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 300_000, seed: 1, fileType: 'iso'});
		const check = await queryUrl(client, server.url('/pub/alpine-virt-3.20.3-x86_64.iso'));
		expect(check).toMatchObject({reachable: true, status: 200, size: 300_000, fileName: 'alpine-virt-3.20.3-x86_64.iso', fileType: 'iso', redirects: 0});
		expect(check.problem).toBeUndefined();
		expect(server.requestsFor('/pub/alpine-virt-3.20.3-x86_64.iso').map(r => [r.method, r.bytesSent])).toEqual([['HEAD', 0]]);
	});

	it('…/download?id=42: the name from Content-Disposition (sanitised), and from a redirect target', async () => {
		await server.serve('/download', {kind: 'generated', size: 1000, seed: 2, fileType: 'qcow2'}, {headers: {'Content-Disposition': `attachment; filename="../debian-12-genericcloud-amd64.qcow2"`}});
		const named = await queryUrl(client, server.url('/download?id=42'));
		expect(named).toMatchObject({reachable: true, size: 1000, fileName: 'debian-12-genericcloud-amd64.qcow2', fileType: 'qcow2'});

		await server.serve('/files/openSUSE-Leap-15.6-DVD-x86_64.iso', {kind: 'generated', size: 2000, seed: 3, fileType: 'iso'});
		await server.serve('/get', {kind: 'buffer', data: Buffer.alloc(0)}, {redirectTo: '/files/openSUSE-Leap-15.6-DVD-x86_64.iso'});
		const redirected = await queryUrl(client, server.url('/get?mirror=1'));
		expect(redirected).toMatchObject({reachable: true, size: 2000, fileName: 'openSUSE-Leap-15.6-DVD-x86_64.iso', fileType: 'iso', redirects: 1});
		expect(redirected.finalUrl).toBe(server.url('/files/openSUSE-Leap-15.6-DVD-x86_64.iso'));
	});

	it('a server refusing HEAD (405) is asked with a one-byte ranged GET: the size from Content-Range', async () => {
		await server.serve('/pub/noHead-1.0-x86_64.img', {kind: 'generated', size: 5000, seed: 4, fileType: 'img'}, {statuses: [{status: 405}]});
		const check = await queryUrl(client, server.url('/pub/noHead-1.0-x86_64.img'));
		expect(check).toMatchObject({reachable: true, status: 206, size: 5000});
		const requests = server.requestsFor('/pub/noHead-1.0-x86_64.img');
		expect(requests.map(r => [r.method, r.range])).toEqual([
			['HEAD', undefined],
			['GET', 'bytes=0-0'],
		]);
		expect(requests[1]!.bytesSent).toBeLessThanOrEqual(1);
	});

	it('says why when it is not reachable: HTTP 404, a refused connection, an HTML page', async () => {
		const missing = await queryUrl(client, server.url('/nothing/here.iso'));
		expect(missing).toMatchObject({reachable: false, status: 404, problem: 'HTTP 404'});

		const closed = net.createServer();
		await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
		const {port} = closed.address() as net.AddressInfo;
		await new Promise(resolve => closed.close(resolve));
		const refused = await queryUrl(client, `http://127.0.0.1:${port}/x.iso`);
		expect(refused.reachable).toBe(false);
		expect(refused.problem).toMatch(/ECONNREFUSED/);

		await server.serve('/login.iso', {kind: 'buffer', data: Buffer.from('<html>sign in</html>')}, {html: true});
		const page = await queryUrl(client, server.url('/login.iso'));
		expect(page.problem).toMatch(/web page/);
	});
});
