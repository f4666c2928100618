/**
 * The bytes recorded as verified are the file on disk. A real manager downloads from a real (throttled) server
 * while the test replaces, truncates or appends to the real .part: the row ends `corrupt`, nothing is placed. A
 * hostile raw-socket server sends a 206 that runs past its Content-Range: the excess is never written. An empty
 * body is never a complete image.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {createHttpClient} from '../../../source/core/download/http.js';
import {transfer} from '../../../source/core/download/transfer.js';
import {silentLogger} from '../../../source/core/log.js';
import {Manager} from '../../../source/core/manager.js';
import {partPathFor} from '../../../source/core/paths.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';
import {generatedBytes, startTestServer, type TestServer} from '../../support/server.js';

let lib: TempLibrary | undefined;
let server: TestServer | undefined;
let manager: Manager | undefined;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	await manager?.close();
	await server?.close();
	for (const close of closers.splice(0)) await close();
	lib?.cleanup();
	manager = undefined;
	server = undefined;
	lib = undefined;
});

const SIZE = 2 * 1024 * 1024;
const ISO = '/pub/debian-12.5.0-amd64-netinst.iso';

/** A download under way (throttled), with its .part on disk past `bytes`. */
async function downloadUnderWay(bytes: number): Promise<{id: string; part: string}> {
	lib = tempLibrary({retryBaseMs: 10, retryMaxMs: 50});
	server = await startTestServer();
	const sha = await server.serve(ISO, {kind: 'generated', size: SIZE, seed: 9, fileType: 'iso'}, {throttleBps: 1024 * 1024});
	manager = new Manager({config: lib.config, log: silentLogger});
	const {id} = manager.addNow({url: server.url(ISO), checksum: `sha256:${sha}`});
	const part = partPathFor(lib.config, id);
	manager.start();
	await waitFor(() => (fs.statSync(part, {throwIfNoEntry: false})?.size ?? 0) > bytes, {what: 'the .part to grow'});
	return {id, part};
}

async function endState(id: string) {
	await manager!.whenIdle();
	return manager!.get(id)!;
}

function expectNothingPlaced(id: string): void {
	const image = manager!.get(id)!;
	expect(fs.existsSync(path.join(lib!.config.imagesDir, image.filePath))).toBe(false);
}

describe('the .part changed behind the download', () => {
	it('replaced by another file mid-download: corrupt, nothing placed', async () => {
		const {id, part} = await downloadUnderWay(256 * 1024);
		const other = `${part}.other`;
		fs.writeFileSync(other, Buffer.alloc(300 * 1024, 7));
		fs.renameSync(other, part);
		const image = await endState(id);
		expect(image).toMatchObject({status: 'failed', errorCode: 'corrupt'});
		expect(image.errorMessage).toContain('replaced');
		expectNothingPlaced(id);
	});

	it('truncated mid-download: corrupt, nothing placed', async () => {
		const {id, part} = await downloadUnderWay(256 * 1024);
		fs.truncateSync(part, 1000);
		const image = await endState(id);
		expect(image).toMatchObject({status: 'failed', errorCode: 'corrupt'});
		expect(image.errorMessage).toContain('truncated');
		expectNothingPlaced(id);
	});

	it('appended to mid-download: corrupt, nothing placed', async () => {
		const {id, part} = await downloadUnderWay(256 * 1024);
		fs.appendFileSync(part, Buffer.alloc(4096, 1));
		const image = await endState(id);
		expect(image).toMatchObject({status: 'failed', errorCode: 'corrupt'});
		expect(image.errorMessage).toContain('appended');
		expectNothingPlaced(id);
	});
});

/** A raw HTTP server: `respond(request)` returns the bytes to write, then the socket is closed. */
async function rawServer(respond: (request: string) => Buffer): Promise<{url: string; requests: string[]}> {
	const requests: string[] = [];
	const srv = net.createServer(socket => {
		let head = '';
		socket.on('data', data => {
			head += data.toString('latin1');
			if (!head.includes('\r\n\r\n')) return;
			requests.push(head);
			socket.end(respond(head));
		});
		socket.on('error', () => undefined);
	});
	await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve));
	closers.push(async () => new Promise<void>(resolve => srv.close(() => resolve())));
	const {port} = srv.address() as net.AddressInfo;
	return {url: `http://127.0.0.1:${port}/disk.raw`, requests};
}

async function runTransfer(url: string, partPath: string, fileType = 'raw') {
	const client = createHttpClient({userAgent: 'test'});
	closers.push(async () => client.close());
	return transfer({client, url, partPath, fileType, algorithm: 'sha256', signal: new AbortController().signal, stallTimeoutMs: 5000, retries: 2, backoff: {baseMs: 1, maxMs: 5}, log: silentLogger});
}

describe('what the server sends', () => {
	it('a 206 whose body runs past its Content-Range end: the excess is never written', async () => {
		lib = tempLibrary();
		const content = generatedBytes(2048, 5);
		const {url, requests} = await rawServer(request => {
			const from = Number(/range: bytes=(\d+)-/i.exec(request)?.[1] ?? 0);
			const end = from === 0 ? 1023 : 2047;
			// The first answer claims bytes 0-1023 but sends 1500 bytes (476 of garbage); no Content-Length.
			const body = from === 0 ? Buffer.concat([content.subarray(0, 1024), Buffer.alloc(476, 0xee)]) : content.subarray(from, end + 1);
			return Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${from}-${end}/2048\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n`), body]);
		});
		const part = path.join(lib.dir, 'x.part');
		const result = await runTransfer(url, part);
		expect(result.bytes).toBe(2048);
		expect(fs.readFileSync(part).equals(content)).toBe(true);
		expect(result.hex).toBe(createHash('sha256').update(content).digest('hex'));
		expect(requests.map(r => /range: (bytes=\d+-)/i.exec(r)?.[1] ?? 'none')).toEqual(['none', 'bytes=1024-']);
	});

	it('an empty body is never a complete image (200 with Content-Length: 0, or no body at all)', async () => {
		lib = tempLibrary();
		for (const [i, head] of ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'].entries()) {
			const {url} = await rawServer(() => Buffer.from(head));
			await expect(runTransfer(url, path.join(lib.dir, `${i}.part`))).rejects.toMatchObject({code: 'content', message: expect.stringContaining('empty file (0 bytes)') as string});
		}
	});
});
