/**
 * No text from outside reaches a terminal raw: names a hostile checksum file lists, strings a catalogue row
 * holds (the data dir is not trusted either), ids typed by a user, and passwords in URLs, through every output
 * of the built CLI: `show`, `list`, `--json`, stderr, the daemon's NDJSON and the log file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {HOSTILE, HOSTILE_CHARS, rawUnsafe} from '../support/hostile.js';
import {addImage, isoman, runCli, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();

/** Every output stream must be free of raw control/bidi characters (newline separates lines and is allowed). */
function expectClean(what: string, text: string): void {
	expect(rawUnsafe(text, ['\n']), what).toEqual([]);
}

describe('hostile text on every display path', () => {
	it('names a checksum file lists reach show, --json, the NDJSON and the log only escaped', async () => {
		const {dir, server} = await library.setUp();
		await server.serve('/pub/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 64 * 1024, seed: 7, fileType: 'iso'});
		const listed = [
			`${'a'.repeat(64)}  evil${HOSTILE}.iso`,
			`SHA256 (other\x1b]52;c;aGk=\x07\u202e.iso) = ${'b'.repeat(64)}`,
		].join('\n');
		await server.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(listed + '\n')});
		const id = await addImage(dir, server.url('/pub/alpine-virt-3.20.3-x86_64.iso'), ['--checksum-url', server.url('/pub/SHA256SUMS')]);

		// The daemon's stdout as the bytes it wrote.
		const daemon = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		expect(daemon.code).toBe(1);
		const failed = daemon.stdout
			.trimEnd()
			.split('\n')
			.map(line => JSON.parse(line) as {event: string; id?: string; error_message?: string})
			.find(line => line.event === 'failed' && line.id === id);
		expect(failed?.error_message).toContain('evil');
		expectClean('daemon stdout', daemon.stdout);
		expectClean('daemon stderr', daemon.stderr);
		expectClean('log file', fs.readFileSync(path.join(dir, 'isoman.log'), 'utf8'));

		const show = await isoman(dir, ['show', id]);
		expectClean('show', show.stdout);
		// The text is there, made visible.
		expect(show.stdout).toContain('\\x1b]0;pwned\\x07');
		expect(show.stdout).toContain('\\u202e');
		const json = await isoman(dir, ['show', id, '--json']);
		expectClean('show --json', json.stdout);
		expect((JSON.parse(json.stdout) as {error_message: string}).error_message).toContain('\x1b]0;pwned\x07');
		expectClean('list --json', (await isoman(dir, ['list', '--json'])).stdout);
	});

	it('hostile strings stored in the catalogue reach list, show, verify and stderr only escaped', async () => {
		const {dir, server} = await library.setUp();
		const id = await addImage(dir, server.url('/x/debian-12.5.0-amd64-netinst.iso'));
		const db = new Database(path.join(dir, 'isoman.db'));
		const all = HOSTILE_CHARS.join('');
		db.prepare("UPDATE images SET name = ?, version = ?, edition = ?, file_path = ?, status = 'failed', error_code = 'network', error_message = ? WHERE id = ?").run(
			`deb${HOSTILE}`,
			`12${all}`,
			`ed\u202e`,
			`x/${HOSTILE}.iso`,
			`boom ${HOSTILE} ${all}`,
			id,
		);
		db.prepare("INSERT INTO events (image_id, ts, kind, detail) VALUES (?, '2026-01-01T00:00:00.000Z', 'failed', ?)").run(id, `evil ${HOSTILE}`);
		db.close();

		const list = await isoman(dir, ['list']);
		expectClean('list', list.stdout);
		expect(list.stdout).toContain('debx\\x1b]0;pwned');
		const show = await isoman(dir, ['show', id]);
		expectClean('show', show.stdout);
		expect(show.stdout).toContain('evil x\\x1b]0;pwned');
		for (const args of [['list', '--json'], ['show', id, '--json']]) expectClean(args.join(' '), (await isoman(dir, args)).stdout);
		const verify = await runCli(['--data-dir', dir, 'verify', id]);
		expectClean('verify stdout', verify.stdout);
		expectClean('verify stderr', verify.stderr);

		// An id typed (or pasted) by a user is echoed escaped too.
		const unknown = await runCli(['--data-dir', dir, 'show', `nope${HOSTILE}`]);
		expect(unknown.code).toBe(2);
		expectClean('stderr', unknown.stderr);
		expect(unknown.stderr).toContain('\\x1b]0;pwned');
	});

	it('a password in a URL is shown as *** in show, list --json, the NDJSON, the history and the log', async () => {
		const {dir, server} = await library.setUp();
		await server.serve('/p/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 64 * 1024, seed: 3, fileType: 'iso'});
		const secretUrl = server.url('/p/alpine-virt-3.20.3-x86_64.iso').replace('http://', 'http://alice:s3cr3t-pw@');
		const id = await addImage(dir, secretUrl, ['--checksum-url', server.url('/p/SUMS').replace('http://', 'http://bob:0th3r-pw@')]);
		const daemon = await runCli(['--data-dir', dir, '--daemon', '--exit-when-idle']);
		const outputs = {
			daemon: daemon.stdout + daemon.stderr,
			show: (await isoman(dir, ['show', id])).stdout,
			showJson: (await isoman(dir, ['show', id, '--json'])).stdout,
			listJson: (await isoman(dir, ['list', '--json'])).stdout,
			log: fs.readFileSync(path.join(dir, 'isoman.log'), 'utf8'),
		};
		for (const [what, text] of Object.entries(outputs)) {
			expect(text, what).not.toContain('s3cr3t-pw');
			expect(text, what).not.toContain('0th3r-pw');
		}

		expect(outputs.show).toContain('http://alice:***@127.0.0.1');
		expect((JSON.parse(outputs.showJson) as {download_url: string}).download_url).toBe(secretUrl.replace('s3cr3t-pw', '***'));
		// The audit log in the catalogue holds no password either (it is shown as it is stored).
		const db = new Database(path.join(dir, 'isoman.db'), {readonly: true});
		const details = db.prepare('SELECT detail FROM events WHERE image_id = ?').pluck().all(id) as Array<string | null>;
		db.close();
		expect(details.join('\n')).not.toContain('s3cr3t-pw');
	});

	it('URLs are stored as their parsed href: what was typed or pasted with control or bidi characters is percent-encoded', async () => {
		const {dir} = await library.setUp();
		const id = await addImage(dir, 'http://127.0.0.1:9/pub/debian-12.5.0-amd64-netinst.iso', ['--checksum-url', 'http://127.0.0.1:9/pub/SUMS\u202e\x1b[31m.txt']);
		const image = JSON.parse((await isoman(dir, ['show', id, '--json'])).stdout) as {checksum_url: string};
		expect(image.checksum_url).toBe('http://127.0.0.1:9/pub/SUMS%E2%80%AE%1B[31m.txt');
	});
});
