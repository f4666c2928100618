/**
 * The smaller edges, each through the built CLI as a real child process: verify after recovery found damage, a
 * daemon whose stdout is closed, a library whose .tmp is on another file system, credentials in URLs, redirects
 * to other schemes, the checksum fetch's stall timeout, a flag given twice, a read-only data dir, and an image
 * sent with a Content-Encoding.
 */
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {afterEach, describe, expect, it} from 'vitest';
import {waitFor} from '../support/library.js';
import {generatedBytes} from '../support/server.js';
import {CLI, addImage, childEnv, inProcess, isoman, runCli, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);
const ISO = '/pub/debian-12.5.0-amd64-netinst.iso';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node:http server on 127.0.0.1 answering with `handle`. */
async function httpServer(handle: http.RequestListener): Promise<string> {
	const server = http.createServer(handle);
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	cleanups.push(async () => new Promise<void>(resolve => server.close(() => resolve())));
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('verify', () => {
	it('reports and exits 1 when the recovery it runs has just found an image missing or corrupt', async () => {
		const {dir, server} = await library.setUp();
		await server.serve(ISO, {kind: 'generated', size: 64 * 1024, seed: 1, fileType: 'iso'});
		await server.serve('/pub/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 64 * 1024, seed: 2, fileType: 'iso'});
		const gone = await addImage(dir, server.url(ISO));
		const grown = await addImage(dir, server.url('/pub/alpine-virt-3.20.3-x86_64.iso'));
		await isoman(dir, ['--daemon', '--exit-when-idle']);
		const images = inProcess(dir);
		fs.rmSync(path.join(dir, 'images', (await images.image(gone))!.file_path));
		fs.appendFileSync(path.join(dir, 'images', (await images.image(grown))!.file_path), 'x');

		const run = await runCli(['--data-dir', dir, 'verify']);
		expect(run.code).toBe(1);
		expect(run.stdout).toMatch(new RegExp(`${gone}  debian 12\\.5\\.0 x86_64 netinst iso  missing`));
		expect(run.stdout).toMatch(new RegExp(`${grown}  alpine-virt 3\\.20\\.3 x86_64 iso  corrupt`));
	});
});

describe('the daemon', () => {
	it('keeps working when its stdout is closed (isoman --daemon | head -1), and stops cleanly', async () => {
		const {dir, server} = await library.setUp();
		await server.serve(ISO, {kind: 'generated', size: 256 * 1024, seed: 3, fileType: 'iso'});
		const child = spawn(process.execPath, [CLI, '--data-dir', dir, '--daemon'], {env: childEnv(), stdio: ['ignore', 'pipe', 'pipe']});
		cleanups.push(() => {
			child.kill('SIGKILL');
		});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
		const exited = new Promise<number | null>(resolve => child.once('close', resolve));
		// Read the first line, then close the pipe, as `head -1` does.
		await new Promise<void>(resolve => createInterface({input: child.stdout}).once('line', () => resolve()));
		child.stdout.destroy();

		const id = await addImage(dir, server.url(ISO));
		await waitFor(async () => (await inProcess(dir).image(id))?.status === 'complete', {what: 'the download to complete with stdout closed'});
		child.kill('SIGTERM');
		expect(await exited).toBe(0);
		noStack(stderr);
		expect(fs.existsSync(path.join(dir, 'isoman.lock'))).toBe(false);
	});
});

describe('file systems', () => {
	const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
	it.skipIf(!canMount)('images/.tmp on another file system (a tmpfs mount): the download is copied across, fsynced and completes', async () => {
		const {dir, server} = await library.setUp();
		const tmp = path.join(dir, 'images', '.tmp');
		fs.mkdirSync(tmp, {recursive: true, mode: 0o700});
		const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', tmp]);
		if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
		cleanups.push(() => {
			spawnSync('umount', [tmp]);
		});
		const sha = await server.serve(ISO, {kind: 'generated', size: 512 * 1024, seed: 4, fileType: 'iso'});
		const id = await addImage(dir, server.url(ISO), ['--checksum', `sha256:${sha}`]);
		await isoman(dir, ['--daemon', '--exit-when-idle']);
		const image = await inProcess(dir).image(id);
		expect(image).toMatchObject({status: 'complete', checksum: sha});
		expect(fs.statSync(path.join(dir, 'images', image!.file_path)).size).toBe(512 * 1024);
		expect(fs.readdirSync(tmp)).toEqual([]);
		expect(fs.readdirSync(path.dirname(path.join(dir, 'images', image!.file_path))).filter(f => f.endsWith('.copy-tmp'))).toEqual([]);
	});
});

describe('credentials in URLs', () => {
	it('are sent as Basic auth (a server that requires it serves the file) and never shown', async () => {
		const {dir} = await library.setUp();
		const body = generatedBytes(64 * 1024, 5, 'iso');
		const seen: Array<string | undefined> = [];
		const origin = await httpServer((req, res) => {
			seen.push(req.headers.authorization);
			if (req.headers.authorization !== `Basic ${Buffer.from('alice:s3cr3t pw').toString('base64')}`) {
				res.writeHead(401, {'www-authenticate': 'Basic realm="isos"'}).end('no');
				return;
			}

			res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': String(body.length)}).end(body);
		});
		const url = origin.replace('http://', 'http://alice:s3cr3t%20pw@') + ISO;
		const id = await addImage(dir, url);
		const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		expect(run.code).toBe(0);
		expect((await inProcess(dir).image(id))?.status).toBe('complete');
		expect(seen.every(a => a !== undefined)).toBe(true);
		for (const text of [run.stdout, run.stderr, (await isoman(dir, ['show', id])).stdout, (await isoman(dir, ['list', '--json'])).stdout, fs.readFileSync(path.join(dir, 'isoman.log'), 'utf8')]) {
			expect(text).not.toContain('s3cr3t');
		}
	});
});

describe('hostile answers', () => {
	it('a redirect to file: or ftp: fails at once, without retries', async () => {
		const {dir} = await library.setUp();
		let requests = 0;
		const origin = await httpServer((req, res) => {
			requests++;
			res.writeHead(302, {location: req.url!.includes('ftp') ? 'ftp://127.0.0.1/x.iso' : 'file:///etc/passwd'}).end();
		});
		const ids = [await addImage(dir, `${origin}/file/debian-12.5.0-amd64-netinst.iso`), await addImage(dir, `${origin}/ftp/alpine-virt-3.20.3-x86_64.iso`)];
		const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'], {env: {ISOMAN_RETRIES: '5'}});
		expect(run.code).toBe(1);
		for (const id of ids) {
			const image = await inProcess(dir).image(id);
			expect(image).toMatchObject({status: 'failed', error_code: 'http_status'});
			expect(image!.error_message).toContain('not http or https');
		}

		expect(requests).toBe(2);
	});

	it('the checksum file fetch honours --stall-timeout', async () => {
		const {dir, server} = await library.setUp();
		await server.serve(ISO, {kind: 'generated', size: 64 * 1024, seed: 6, fileType: 'iso'});
		await server.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(`${'a'.repeat(64)}  debian-12.5.0-amd64-netinst.iso\n`.repeat(50))}, {stallAt: 100});
		const id = await addImage(dir, server.url(ISO), ['--checksum-url', server.url('/pub/SHA256SUMS')]);
		const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle', '--stall-timeout', '1', '--retries', '0'], {timeoutMs: 15_000});
		expect(run.code).toBe(1);
		const image = await inProcess(dir).image(id);
		expect(image).toMatchObject({status: 'failed'});
		expect(image!.error_message).toContain('no data for 1 s');
	});

	it('an image sent with Content-Encoding: gzip is refused, saying why', async () => {
		const {dir} = await library.setUp();
		const origin = await httpServer((_req, res) => {
			res.writeHead(200, {'content-type': 'application/octet-stream', 'content-encoding': 'gzip'}).end(Buffer.alloc(40_000, 1));
		});
		const id = await addImage(dir, `${origin}${ISO}`);
		expect((await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'])).code).toBe(1);
		const image = await inProcess(dir).image(id);
		expect(image).toMatchObject({status: 'failed', error_code: 'content'});
		expect(image!.error_message).toContain('Content-Encoding: gzip');
	});
});

describe('the command line', () => {
	it('a flag given twice exits 2 with a message, no stack trace', async () => {
		const {dir} = await library.setUp();
		const run = await runCli(['--data-dir', dir, 'add', 'http://127.0.0.1:9/a.iso', '--name', 'a', '--name', 'b']);
		expect(run.code).toBe(2);
		expect(run.stderr).toContain('--name can only be set once');
		noStack(run.stderr);
	});

	it('a read-only data dir: list says so clearly (exit 1, no stack trace), nothing changes', async () => {
		const {dir, server} = await library.setUp();
		await addImage(dir, server.url(ISO));
		fs.rmSync(path.join(dir, 'isoman.log'), {force: true});
		const before = fs.readdirSync(dir).sort();
		if (process.getuid?.() === 0) {
			expect(spawnSync('chattr', ['+i', dir]).status).toBe(0);
			cleanups.push(() => {
				spawnSync('chattr', ['-i', dir]);
			});
		} else {
			fs.chmodSync(dir, 0o555);
			cleanups.push(() => fs.chmodSync(dir, 0o755));
		}

		const run = await runCli(['--data-dir', dir, 'list']);
		expect(run.code).toBe(1);
		expect(run.stderr).toContain('must be writable by this user');
		noStack(run.stderr);
		expect(fs.readdirSync(dir).sort()).toEqual(before);
	});
});
