/**
 * The catalogue file as the built CLI meets it: created private (it may hold credentials), and a malformed,
 * empty or unopenable one refused with a message that says what to do, never a stack trace, never changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {addImage, runCli, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('the catalogue file', () => {
	it('is created 0600 with its -wal, -shm and the log; an older 0644 one is made 0600', async () => {
		const {dir, server} = await library.setUp();
		await addImage(dir, server.url('/x/debian-12.5.0-amd64-netinst.iso'));
		const db = path.join(dir, 'isoman.db');
		for (const file of [db, `${db}-wal`, `${db}-shm`, path.join(dir, 'isoman.log')]) {
			if (fs.existsSync(file)) expect((fs.statSync(file).mode & 0o777).toString(8), file).toBe('600');
		}

		fs.chmodSync(db, 0o644);
		expect((await runCli(['--data-dir', dir, 'list'])).code).toBe(0);
		expect((fs.statSync(db).mode & 0o777).toString(8)).toBe('600');
	});

	it('a file that is not an SQLite database: a clear error, exit 1, the file unchanged', async () => {
		const {dir} = await library.setUp();
		const db = path.join(dir, 'isoman.db');
		const garbage = Buffer.from('this is not a database, it is my shopping list\n'.repeat(200));
		fs.writeFileSync(db, garbage);
		for (const args of [['list'], ['list', '--json'], ['add', 'http://127.0.0.1:9/debian-12.5.0-amd64-netinst.iso'], ['--daemon', '--exit-when-idle'], ['verify']]) {
			const run = await runCli(['--data-dir', dir, ...args]);
			expect(run.code, args.join(' ')).toBe(1);
			expect(run.stderr, args.join(' ')).toContain(`${db} is not a usable isoman catalogue`);
			noStack(run.stderr);
		}

		expect(fs.readFileSync(db).equals(garbage)).toBe(true);
	});

	it('a zero-byte catalogue is refused (it may have been a library), not taken for a new one', async () => {
		const {dir} = await library.setUp();
		const db = path.join(dir, 'isoman.db');
		fs.writeFileSync(db, '');
		const old = new Date(Date.now() - 60_000);
		fs.utimesSync(db, old, old);
		const run = await runCli(['--data-dir', dir, 'list']);
		expect(run.code).toBe(1);
		expect(run.stderr).toContain(`${db} is empty (0 bytes)`);
		noStack(run.stderr);
		expect(fs.statSync(db).size).toBe(0);
	});
});
