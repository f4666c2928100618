/**
 * isoman never follows a symbolic link under <data> for a write, a delete or a rename. Real links planted where a
 * careless admin or another local user could put them — images/.tmp, a .part, an image directory, a final path,
 * the log, the catalogue — and the built CLI run over them: nothing outside the library changes, and the refusal
 * names the link.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {createHttpClient} from '../../source/core/download/http.js';
import {transfer} from '../../source/core/download/transfer.js';
import {silentLogger} from '../../source/core/log.js';
import {addImage, inProcess, isoman, partPath, runCli, withLibraryAndServer} from '../cli/helpers.js';

const library = withLibraryAndServer();

/** A directory outside the library with a few files: a test checks it is exactly as it was afterwards. */
function outsideDir(): {dir: string; snapshot(): Record<string, string>} {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-outside-'));
	fs.writeFileSync(path.join(dir, 'precious.txt'), 'do not touch\n');
	fs.mkdirSync(path.join(dir, 'sub'));
	fs.writeFileSync(path.join(dir, 'sub', 'deep.txt'), 'deep\n');
	fs.writeFileSync(path.join(dir, '0123456789ab.part'), 'looks like a part\n');
	outsides.push(dir);
	const snapshot = () => {
		const out: Record<string, string> = {};
		const walk = (d: string) => {
			for (const e of fs.readdirSync(d, {withFileTypes: true})) {
				const full = path.join(d, e.name);
				if (e.isDirectory()) walk(full);
				else out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
			}
		};

		walk(dir);
		return out;
	};

	return {dir, snapshot};
}

const outsides: string[] = [];
afterEach(() => {
	for (const dir of outsides.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});

const ISO = '/pub/debian-12.5.0-amd64-netinst.iso';

describe('symbolic links under the data dir', () => {
	it('a symlinked images/.tmp is never emptied: the daemon and verify refuse, naming the link', async () => {
		const {dir} = await library.setUp();
		const outside = outsideDir();
		const before = outside.snapshot();
		fs.mkdirSync(path.join(dir, 'images'), {recursive: true});
		fs.symlinkSync(outside.dir, path.join(dir, 'images', '.tmp'));

		const daemon = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		expect(daemon.code).toBe(1);
		expect(daemon.stderr).toContain(`${path.join(dir, 'images', '.tmp')} is a symbolic link`);
		expect(daemon.stderr).not.toMatch(/\n\s+at /);
		const verify = await runCli(['--data-dir', dir, 'verify']);
		expect(verify.code).toBe(1);
		expect(verify.stderr).toContain('is a symbolic link');
		expect(outside.snapshot()).toEqual(before);
		expect(fs.lstatSync(path.join(dir, 'images', '.tmp')).isSymbolicLink()).toBe(true);
	});

	it('a .part planted as a link is unlinked, never appended through; the image lands as a real file', async () => {
		const {dir, server} = await library.setUp();
		const outside = outsideDir();
		const before = outside.snapshot();
		await server.serve(ISO, {kind: 'generated', size: 256 * 1024, seed: 1, fileType: 'iso'});
		const id = await addImage(dir, server.url(ISO));
		fs.mkdirSync(path.join(dir, 'images', '.tmp'), {recursive: true});
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), partPath(dir, id));

		await isoman(dir, ['--daemon', '--exit-when-idle']);
		const image = await inProcess(dir).image(id);
		expect(image?.status).toBe('complete');
		const final = fs.lstatSync(path.join(dir, 'images', image!.file_path));
		expect(final.isFile()).toBe(true);
		expect(final.size).toBe(256 * 1024);
		expect(outside.snapshot()).toEqual(before);
	});

	it('the transfer opens its .part with O_NOFOLLOW: a link there is refused, its target unchanged', async () => {
		const {dir, server} = await library.setUp();
		const outside = outsideDir();
		const before = outside.snapshot();
		await server.serve(ISO, {kind: 'generated', size: 64 * 1024, seed: 2, fileType: 'iso'});
		const part = path.join(dir, 'x.part');
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), part);
		const client = createHttpClient({userAgent: 'test'});
		try {
			await expect(
				transfer({client, url: server.url(ISO), partPath: part, fileType: 'iso', algorithm: 'sha256', signal: new AbortController().signal, stallTimeoutMs: 5000, retries: 0, backoff: {baseMs: 1, maxMs: 1}, log: silentLogger}),
			).rejects.toMatchObject({code: 'io', message: expect.stringContaining('is a symbolic link') as string});
		} finally {
			await client.close();
		}

		expect(outside.snapshot()).toEqual(before);
		expect(server.requestsFor(ISO)).toHaveLength(0);
	});

	it('an image directory that is a link: the download fails naming it, nothing is written through it, remove deletes nothing there', async () => {
		const {dir, server} = await library.setUp();
		const outside = outsideDir();
		await server.serve(ISO, {kind: 'generated', size: 64 * 1024, seed: 3, fileType: 'iso'});
		const id = await addImage(dir, server.url(ISO));
		const image = (await inProcess(dir).image(id))!;
		// images/debian → outside: the file would land in outside/12.5.0/x86_64/.
		fs.mkdirSync(path.join(dir, 'images'), {recursive: true});
		fs.symlinkSync(outside.dir, path.join(dir, 'images', 'debian'));
		// Put "its" file there, as if a previous run had written it through the link.
		const through = path.join(outside.dir, path.relative('debian', image.file_path));
		fs.mkdirSync(path.dirname(through), {recursive: true});
		fs.writeFileSync(through, 'not yours');
		const before = outside.snapshot();

		const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		expect(run.code).toBe(1);
		const failed = await inProcess(dir).image(id);
		expect(failed).toMatchObject({status: 'failed', error_code: 'io'});
		expect(failed!.error_message).toContain(`${path.join(dir, 'images', 'debian')} is a symbolic link`);
		expect(outside.snapshot()).toEqual(before);

		await isoman(dir, ['remove', id]);
		expect(outside.snapshot()).toEqual(before);
	});

	it('a link at the final path is not adopted, and a complete image whose file became a link is corrupt to verify', async () => {
		const {dir, server} = await library.setUp();
		const outside = outsideDir();
		const before = outside.snapshot();
		await server.serve(ISO, {kind: 'generated', size: 64 * 1024, seed: 4, fileType: 'iso'});
		const id = await addImage(dir, server.url(ISO));
		const image = (await inProcess(dir).image(id))!;
		const final = path.join(dir, 'images', image.file_path);
		fs.mkdirSync(path.dirname(final), {recursive: true});
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), final);

		await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		const failed = await inProcess(dir).image(id);
		expect(failed).toMatchObject({status: 'failed', error_code: 'io'});
		expect(failed!.error_message).toContain(`${final} is a symbolic link`);
		expect(fs.lstatSync(final).isSymbolicLink()).toBe(true);
		expect(outside.snapshot()).toEqual(before);

		// Download it for real, then swap the file for a link: verify (and its recovery) call it corrupt.
		fs.rmSync(final);
		await isoman(dir, ['retry', id]);
		await isoman(dir, ['--daemon', '--exit-when-idle']);
		expect((await inProcess(dir).image(id))?.status).toBe('complete');
		fs.rmSync(final);
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), final);
		const verify = await runCli(['--data-dir', dir, 'verify', id]);
		expect(verify.code).toBe(1);
		expect(verify.stdout).toContain('is a symbolic link');
		expect((await inProcess(dir).image(id))).toMatchObject({status: 'failed', error_code: 'corrupt'});
		await isoman(dir, ['remove', id]);
		expect(fs.existsSync(final)).toBe(false);
		expect(outside.snapshot()).toEqual(before);
	});

	it('a link at the log or the catalogue is refused with a clear message, its target unchanged', async () => {
		const {dir} = await library.setUp();
		const outside = outsideDir();
		const before = outside.snapshot();
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), path.join(dir, 'isoman.log'));
		const list = await runCli(['--data-dir', dir, 'list']);
		expect(list.code).toBe(1);
		expect(list.stderr).toContain(`${path.join(dir, 'isoman.log')} is a symbolic link`);
		expect(list.stderr).not.toMatch(/\n\s+at /);
		fs.rmSync(path.join(dir, 'isoman.log'));

		fs.rmSync(path.join(dir, 'isoman.db'), {force: true});
		fs.symlinkSync(path.join(outside.dir, 'precious.txt'), path.join(dir, 'isoman.db'));
		const add = await runCli(['--data-dir', dir, 'add', 'http://127.0.0.1:9/debian-12.5.0-amd64-netinst.iso']);
		expect(add.code).toBe(1);
		expect(add.stderr).toContain(`${path.join(dir, 'isoman.db')} is a symbolic link`);
		expect(outside.snapshot()).toEqual(before);
	});
});
