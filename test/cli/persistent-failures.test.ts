/**
 * A failure that repeats never loops: a read-only catalogue stops the daemon with one clear error (a bounded
 * number of lines, and `--exit-when-idle` exits), and a row whose stored path breaks the rules fails alone while
 * the rest of the library downloads. Real daemon processes, a real catalogue made unwritable for real.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {addImage, inProcess, runCli, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();
const lineCount = (text: string) => text.split('\n').filter(Boolean).length;

/** Make `file` unwritable even for root (chattr +i); returns the undo. */
function makeReadOnly(file: string): () => void {
	if (process.getuid?.() === 0) {
		const set = spawnSync('chattr', ['+i', file]);
		if (set.status !== 0) throw new Error(`chattr +i ${file} failed: ${set.stderr.toString()}`);
		return () => spawnSync('chattr', ['-i', file]);
	}

	fs.chmodSync(file, 0o444);
	return () => fs.chmodSync(file, 0o600);
}

describe('persistent failures', () => {
	it('a read-only catalogue: the daemon stops with one clear error and exits, in a bounded number of lines', async () => {
		const {dir, server} = await library.setUp();
		await server.serve('/pub/debian-12.5.0-amd64-netinst.iso', {kind: 'generated', size: 64 * 1024, seed: 1, fileType: 'iso'});
		await addImage(dir, server.url('/pub/debian-12.5.0-amd64-netinst.iso'));
		// Checkpoint the WAL into the file, so that the rows are in the file made read-only.
		const db = new Database(path.join(dir, 'isoman.db'));
		db.pragma('wal_checkpoint(TRUNCATE)');
		db.close();
		const undo = makeReadOnly(path.join(dir, 'isoman.db'));
		try {
			const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'], {timeoutMs: 20_000});
			expect(run.code).toBe(1);
			expect(run.stderr).toContain('cannot be written');
			expect(run.stderr).not.toMatch(/\n\s+at /);
			expect(lineCount(run.stdout)).toBeLessThan(20);
			expect(lineCount(fs.readFileSync(path.join(dir, 'isoman.log'), 'utf8'))).toBeLessThan(50);
			expect(run.stdout).toContain('"event":"stopped"');
		} finally {
			undo();
		}
	});

	it('a row whose stored path breaks the rules fails alone; the rest of the library starts and downloads', async () => {
		const {dir, server} = await library.setUp();
		for (const file of ['debian-12.5.0-amd64-netinst.iso', 'alpine-virt-3.20.3-x86_64.iso', 'fedora-40-x86_64.iso']) {
			await server.serve(`/pub/${file}`, {kind: 'generated', size: 64 * 1024, seed: file.length, fileType: 'iso'});
		}

		const bad = await addImage(dir, server.url('/pub/debian-12.5.0-amd64-netinst.iso'));
		const badComplete = await addImage(dir, server.url('/pub/fedora-40-x86_64.iso'), ['--version', '40']);
		const good = await addImage(dir, server.url('/pub/alpine-virt-3.20.3-x86_64.iso'));
		const db = new Database(path.join(dir, 'isoman.db'));
		db.prepare('UPDATE images SET file_path = ? WHERE id = ?').run('../../outside.iso', bad);
		db.prepare("UPDATE images SET file_path = ?, status = 'complete', size_bytes = 5 WHERE id = ?").run('/etc/passwd', badComplete);
		db.close();

		const run = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle'], {timeoutMs: 20_000});
		expect(run.code).toBe(1);
		expect(lineCount(run.stdout)).toBeLessThan(40);
		const images = inProcess(dir);
		expect(await images.image(good), run.stdout).toMatchObject({status: 'complete'});
		for (const id of [bad, badComplete]) {
			const image = await images.image(id);
			expect(image).toMatchObject({status: 'failed', error_code: 'io'});
			expect(image!.error_message).toContain('the stored path is not usable');
		}

		expect(fs.existsSync(path.join(dir, '..', 'outside.iso'))).toBe(false);
	});
});
