/**
 * The subcommands of as a real child process, without a daemon: output (human and --json), exit codes,
 * id prefixes, verify, the state commands, global settings, and the TUI's refusal without a terminal.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {silentLogger} from '../../source/core/log.js';
import {openDatabase} from '../../source/core/catalogue/database.js';
import {Catalogue} from '../../source/core/catalogue/repository.js';
import {Manager} from '../../source/core/manager.js';
import {VERSION} from '../../source/version.js';
import {waitFor} from '../support/library.js';
import {IMAGE_FIELDS, fakeLock, inProcess, isoman, listJson, runCli, startCli, type ImageJson, KiB, MiB, ISO_TIME, withLibraryAndServer} from './helpers.js';

const library = withLibraryAndServer();
const setUp = async () => library.setUp();

/** Download the queue in this process (a quick way to get complete images for the commands to work on). */
async function downloadQueue(): Promise<void> {
	const manager = new Manager({config: library.lib!.config, log: silentLogger});
	try {
		manager.start();
		await manager.whenIdle();
	} finally {
		await manager.close();
	}
}

function lines(text: string): string[] {
	return text.trimEnd().split('\n');
}

describe('isoman add', () => {
	it('prints the new id, or with --json the image object; invalid input exits 2 naming the field; a duplicate exits 3 printing the existing id', async () => {
		const {dir, server} = await setUp();
		const url = server.url('/rel/fedora-40.1-aarch64.qcow2.xz');
		const added = await isoman(dir, ['add', url, '--edition', 'server', '--json']);
		const image = JSON.parse(added.stdout) as ImageJson;
		expect(Object.keys(image)).toEqual(IMAGE_FIELDS);
		expect(image).toMatchObject({
			name: 'fedora',
			version: '40.1',
			arch: 'aarch64',
			edition: 'server',
			file_type: 'qcow2.xz',
			filename: 'fedora-40.1-server-aarch64.qcow2.xz',
			file_path: 'fedora/40.1/aarch64/fedora-40.1-server-aarch64.qcow2.xz',
			size_bytes: null,
			downloaded_bytes: 0,
			status: 'pending',
			progress: null,
			checksum: null,
			expected_checksum: null,
			download_url: url,
			checksum_url: null,
			error_code: null,
			error_message: null,
			completed_at: null,
		});
		expect(image.id).toMatch(/^[0-9a-f]{12}$/);
		expect(image.created_at).toMatch(ISO_TIME);

		const plain = await isoman(dir, ['add', server.url('/rel/alpine-virt-3.20.3-x86_64.iso'), '--checksum', `sha256:${'ab'.repeat(32)}`]);
		expect(plain.stdout).toMatch(/^[0-9a-f]{12}\n$/);
		expect(await inProcess(dir).image(plain.stdout.trim())).toMatchObject({checksum_type: 'sha256', expected_checksum: 'ab'.repeat(32)});

		// Invalid input: exit 2, the field named, nothing added.
		const invalid: Array<[string[], RegExp]> = [
			[['add', 'ftp://example.org/alpine-standard-3.20.3-x86_64.iso'], /\burl\b/],
			[['add', server.url('/rel/os.iso')], /\bversion\b/],
			[['add', server.url('/rel/os.iso'), '--name', 'OS', '--version', '1', '--arch', 'x/y'], /\barch\b/],
			[['add', server.url('/rel/os.iso'), '--name', '!!!', '--version', '1'], /\bname\b/],
			[['add', server.url('/rel/os.iso'), '--name', 'OS', '--version', '1', '--checksum', 'zz'], /\bchecksum\b/],
			[['add', server.url('/rel/os.iso'), '--name', 'OS', '--version', '1', '--checksum-type', 'crc32'], /\bchecksum_type\b/],
			[['add', server.url('/rel/os.txt'), '--name', 'OS', '--version', '1'], /\b(type|file_type|url)\b/],
			[['add', server.url('/a/x-1-x86_64.iso'), server.url('/b/y-1-x86_64.iso')], /\burl\b/],
		];
		for (const [args, field] of invalid) {
			const result = await isoman(dir, args, 2);
			expect(result.stderr, args.join(' ')).toMatch(field);
			expect(result.stdout, args.join(' ')).toBe('');
		}

		expect(await inProcess(dir).images()).toHaveLength(2);

		// Already there (the identity, not the URL, decides): exit 3, the existing id on stdout.
		const again = await isoman(dir, ['add', server.url('/mirror/fedora-40.1-aarch64.qcow2.xz'), '--edition', 'server'], 3);
		expect(again.stdout.trim()).toBe(image.id);
		expect(again.stderr).toContain(image.id);
	});
});

describe('isoman list and show', () => {
	it('list: a readable table with sizes in binary units and states as words; --json an array with the documented fields', async () => {
		const {dir, server} = await setUp();
		expect((await isoman(dir, ['list'])).stdout).toContain('empty');
		expect(JSON.parse((await isoman(dir, ['list', '--json'])).stdout)).toEqual([]);

		const shaA = await server.serve('/t/alpha-1.0-x86_64.iso', {kind: 'generated', size: 1.5 * MiB, seed: 1, fileType: 'iso'});
		await server.serve('/t/beta-2.0-x86_64.iso', {kind: 'generated', size: 768 * KiB, seed: 2, fileType: 'iso'});
		const rows = inProcess(dir);
		const alpha = await rows.add({url: server.url('/t/alpha-1.0-x86_64.iso'), checksum: shaA});
		const beta = await rows.add({url: server.url('/t/beta-2.0-x86_64.iso')});
		await downloadQueue();
		const gamma = await rows.add({url: server.url('/t/gamma-3.0-x86_64.iso')});
		const delta = await rows.add({url: server.url('/t/delta-4.0-x86_64.iso')});
		const epsilon = await rows.add({url: server.url('/t/epsilon-5.0-x86_64.iso')});
		await isoman(dir, ['pause', delta]);
		await isoman(dir, ['cancel', epsilon]);

		const table = lines((await isoman(dir, ['list'])).stdout);
		expect(table[0]!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'VERSION', 'ARCH', 'EDITION', 'TYPE', 'SIZE', 'STATE']);
		const row = (id: string) => table.find(l => l.startsWith(id))!.split(/\s{2,}/);
		expect(row(alpha)).toEqual([alpha, 'alpha', '1.0', 'x86_64', '-', 'iso', '1.50 MiB', 'verified']);
		expect(row(beta)).toEqual([beta, 'beta', '2.0', 'x86_64', '-', 'iso', '768 KiB', 'unverified']);
		expect(row(gamma)).toEqual([gamma, 'gamma', '3.0', 'x86_64', '-', 'iso', '?', 'queued']);
		expect(row(delta).at(-1)).toBe('paused');
		expect(row(epsilon).at(-1)).toBe('failed (cancelled)');
		// Columns line up.
		const stateColumn = table[0]!.indexOf('STATE');
		for (const line of table.slice(1)) expect(line.slice(stateColumn - 2, stateColumn)).toBe('  ');

		const json = await listJson(dir);
		expect(json.map(i => i.id).sort()).toEqual([alpha, beta, gamma, delta, epsilon].sort());
		for (const image of json) expect(Object.keys(image)).toEqual(IMAGE_FIELDS);
		expect(json.find(i => i.id === alpha)).toMatchObject({status: 'complete', progress: 100, size_bytes: 1.5 * MiB, checksum: shaA, expected_checksum: shaA});
		expect(json.find(i => i.id === epsilon)).toMatchObject({status: 'failed', error_code: 'cancelled', progress: null});
	});

	it('show: human details with the history, and --json exactly the object', async () => {
		const {dir, server} = await setUp();
		const sha = await server.serve('/s/ubuntu-24.04-live-server-amd64.iso', {kind: 'generated', size: 2 * MiB + 5, seed: 3, fileType: 'iso'});
		const id = await inProcess(dir).add({url: server.url('/s/ubuntu-24.04-live-server-amd64.iso'), checksum: `sha256:${sha}`});
		await downloadQueue();

		const human = (await isoman(dir, ['show', id])).stdout;
		expect(human).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
		expect(human).toMatch(/^state\s+verified$/m);
		expect(human).toMatch(/^size\s+2\.00 MiB\b/m);
		// The absolute path, to copy into another command.
		expect(human).toMatch(new RegExp(`^path\\s+${path.join(dir, 'images')}/ubuntu/24\\.04/x86_64/ubuntu-24\\.04-live-server-x86_64\\.iso$`, 'm'));
		expect(human).toContain(sha);
		expect(human).toMatch(/History/);
		expect(human).toMatch(/\bcompleted\b/);
		expect(human).toMatch(/\badded\b/);

		const image = JSON.parse((await isoman(dir, ['show', id, '--json'])).stdout) as ImageJson;
		expect(Object.keys(image)).toEqual(IMAGE_FIELDS);
		expect(image).toEqual({
			id,
			name: 'ubuntu',
			version: '24.04',
			arch: 'x86_64',
			edition: 'live-server',
			file_type: 'iso',
			filename: 'ubuntu-24.04-live-server-x86_64.iso',
			file_path: 'ubuntu/24.04/x86_64/ubuntu-24.04-live-server-x86_64.iso',
			size_bytes: 2 * MiB + 5,
			downloaded_bytes: 2 * MiB + 5,
			status: 'complete',
			progress: 100,
			checksum: sha,
			checksum_type: 'sha256',
			expected_checksum: sha,
			download_url: server.url('/s/ubuntu-24.04-live-server-amd64.iso'),
			checksum_url: null,
			error_code: null,
			error_message: null,
			created_at: expect.stringMatching(ISO_TIME),
			completed_at: expect.stringMatching(ISO_TIME),
			download_count: 0,
			bytes_served: 0,
			verified_at: expect.stringMatching(ISO_TIME),
			max_rate: null,
			signature_url: null,
			signature_key: null,
			require_signature: false,
			signed_by: null,
		});
		expect(fs.statSync(path.join(dir, 'images', image.file_path)).size).toBe(2 * MiB + 5);
		expect(Date.parse(image.completed_at!)).toBeGreaterThanOrEqual(Date.parse(image.created_at));

		expect((await isoman(dir, ['show'], 2)).stderr).toMatch(/\bid\b/);
	});

	it('accepts a unique id prefix like git; an ambiguous or unknown one exits 2 naming it', async () => {
		const {dir, config} = await setUp();
		const manager = new Manager({config, log: silentLogger});
		const ids: string[] = [];
		try {
			// 17 ids: at least two share their first hex digit.
			for (let i = 0; i < 17; i++) ids.push(manager.addNow({url: `http://127.0.0.1:9/p/os${i}-1.0-x86_64.iso`}).id);
		} finally {
			await manager.close();
		}

		const first = ids[0]!;
		const unique = [...Array.from({length: 12}, (_, n) => first.slice(0, n + 1))].find(p => ids.filter(id => id.startsWith(p)).length === 1)!;
		const shown = JSON.parse((await isoman(dir, ['show', unique, '--json'])).stdout) as ImageJson;
		expect(shown.id).toBe(first);
		expect((await isoman(dir, ['pause', unique.toUpperCase()])).stdout).toContain(`${first}  paused`);

		const shared = [...'0123456789abcdef'].find(c => ids.filter(id => id.startsWith(c)).length > 1)!;
		for (const args of [['show', shared], ['pause', shared], ['remove', first, shared]]) {
			const ambiguous = await isoman(dir, args, 2);
			expect(ambiguous.stderr).toContain(shared);
			expect(ambiguous.stderr).toMatch(/ambiguous/);
		}

		// Nothing was removed by the refused `remove first shared`.
		expect(await inProcess(dir).images()).toHaveLength(17);
		const unknown = ids.every(id => !id.startsWith('ffff')) ? 'ffff' : '0000000';
		for (const ref of [unknown, 'not-an-id']) {
			const result = await isoman(dir, ['show', ref], 2);
			expect(result.stderr).toContain(ref);
			expect(result.stderr).toMatch(/no image/);
		}
	});
});

describe('state commands with an owner that goes away', () => {
	it('exits 1 at once when the process holding the library exits before carrying the command out, and withdraws it', async () => {
		const {dir, config} = await setUp();
		const id = await inProcess(dir).add({url: 'http://127.0.0.1:9/w/wait-1.0-x86_64.iso'});
		// A live process that holds the lock but never reads the queue: a daemon that hangs, then dies.
		const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'});
		try {
			fakeLock(dir, holder.pid!, 'daemon');
			const command = startCli(['--data-dir', dir, 'pause', id]);
			const queue = new Catalogue(openDatabase(config.dbPath));
			try {
				const queued = () => queue.db.prepare('SELECT count(*) FROM commands').pluck().get() as number;
				await waitFor(() => queued() === 1, {what: 'the pause to be queued'});
				const killedAt = Date.now();
				holder.kill('SIGKILL');
				const result = await command.result;
				expect(result.code).toBe(1);
				expect(result.stderr).toContain(`daemon pid ${holder.pid} exited before carrying it out`);
				expect(Date.now() - killedAt).toBeLessThan(3000);
				expect(queued()).toBe(0);
			} finally {
				queue.close();
			}
		} finally {
			holder.kill('SIGKILL');
		}

		expect((await inProcess(dir).image(id))!.status).toBe('pending');
	});
});

describe('state commands without a daemon', () => {
	it('pause, resume, cancel, retry and remove change the rows here; illegal moves exit 1 with the reason', async () => {
		const {dir, server} = await setUp();
		const sha = await server.serve('/c/keep-1.0-x86_64.iso', {kind: 'generated', size: 256 * KiB, seed: 5, fileType: 'iso'});
		const rows = inProcess(dir);
		const kept = await rows.add({url: server.url('/c/keep-1.0-x86_64.iso'), checksum: sha});
		await downloadQueue();
		const id = await rows.add({url: server.url('/c/work-1.0-x86_64.iso')});
		const status = async () => rows.image(id);

		expect((await isoman(dir, ['pause', id])).stdout.trim()).toBe(`${id}  paused`);
		expect((await isoman(dir, ['pause', id], 1)).stderr).toContain(`image ${id} is paused`);
		expect((await isoman(dir, ['resume', id])).stdout.trim()).toBe(`${id}  queued`);
		expect((await isoman(dir, ['cancel', id])).stdout.trim()).toBe(`${id}  failed (cancelled)`);
		expect(await status()).toMatchObject({status: 'failed', error_code: 'cancelled', error_message: expect.stringContaining('cancelled')});
		expect((await isoman(dir, ['resume', id], 1)).stderr).toContain(`image ${id} is failed`);
		expect((await isoman(dir, ['retry', id])).stdout.trim()).toBe(`${id}  queued`);
		expect(await status()).toMatchObject({status: 'pending', error_code: null, error_message: null});
		expect((await isoman(dir, ['retry', id], 1)).stderr).toContain(`image ${id} is pending`);
		expect((await isoman(dir, ['cancel', kept], 1)).stderr).toContain(`image ${kept} is complete`);

		// Several ids: each reported; one refusal makes the exit 1 but the others are still done.
		const mixed = await isoman(dir, ['pause', id, kept], 1);
		expect(mixed.stdout.trim()).toBe(`${id}  paused`);
		expect(mixed.stderr).toContain(kept);

		// remove: the row, the file and its sidecar go.
		const complete = await rows.image(kept);
		const file = path.join(dir, 'images', complete!.file_path);
		expect(fs.existsSync(file) && fs.existsSync(file + '.sha256')).toBe(true);
		expect((await isoman(dir, ['remove', kept, id])).stdout).toBe(`${kept}  removed\n${id}  removed\n`);
		expect(fs.existsSync(file)).toBe(false);
		expect(fs.existsSync(file + '.sha256')).toBe(false);
		expect(await rows.images()).toEqual([]);
		expect((await isoman(dir, ['pause'], 2)).stderr).toMatch(/\bid\b/);
		// No lock is left behind.
		expect(fs.existsSync(path.join(dir, 'isoman.lock'))).toBe(false);
	});

	it('commands run at once each wait for the other\'s short hold on the library instead of queueing work for it', async () => {
		const {dir} = await setUp();
		const ids: string[] = [];
		for (const name of ['a', 'b', 'c']) ids.push(await inProcess(dir).add({url: `http://127.0.0.1:9/${name}-1.0-x86_64.iso`}));
		// Simultaneous: whichever loses the race for the lock waits for the winner, then does its own work.
		const results = await Promise.all(ids.map(async id => isoman(dir, ['pause', id])));
		for (const [i, result] of results.entries()) expect(result.stdout.trim()).toBe(`${ids[i]}  paused`);

		// Deterministically: a command holds the lock (this process stands in for it) until we let go.
		fakeLock(dir, process.pid, 'command');
		const waiting = startCli(['--data-dir', dir, 'resume', ids[0]!]);
		await waiting.stderrMatches(new RegExp(`waiting for isoman command pid ${process.pid}`));
		fs.rmSync(path.join(dir, 'isoman.lock'));
		const result = await waiting.result;
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout.trim()).toBe(`${ids[0]}  queued`);
		expect((await inProcess(dir).images()).map(i => i.status).sort()).toEqual(['paused', 'paused', 'pending']);
	});

	it('verify: ok exits 0; a flipped byte exits 1 and leaves the image failed/corrupt; a vanished file exits 1 and leaves it missing', async () => {
		const {dir, server} = await setUp();
		const shas: string[] = [];
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) {
			shas.push(await server.serve(`/v/img${i}-1.0-x86_64.iso`, {kind: 'generated', size: 200 * KiB + i, seed: 70 + i, fileType: 'iso'}));
			ids.push(await inProcess(dir).add({url: server.url(`/v/img${i}-1.0-x86_64.iso`), checksum: i === 2 ? undefined : shas[i]!}));
		}

		await downloadQueue();
		const pending = await inProcess(dir).add({url: server.url('/v/later-1.0-x86_64.iso')});
		const all = await isoman(dir, ['verify']);
		// Each line names the image, not only its id.
		expect(lines(all.stdout).sort()).toEqual(ids.map((id, i) => `${id}  img${i} 1.0 x86_64 iso  ok`).sort());
		expect((await isoman(dir, ['verify', pending])).stdout).toMatch(new RegExp(`^${pending}  later 1.0 x86_64 iso  skipped`));

		const images = await inProcess(dir).images();
		const fileOf = (id: string) => path.join(dir, 'images', images.find(i => i.id === id)!.file_path);
		const bytes = fs.readFileSync(fileOf(ids[0]!));
		bytes[100 * KiB] = bytes[100 * KiB]! ^ 0x01;
		fs.writeFileSync(fileOf(ids[0]!), bytes);
		// The unverified image is checked against the digest computed when it was downloaded.
		const other = fs.readFileSync(fileOf(ids[2]!));
		other[7] = other[7]! ^ 0x80;
		fs.writeFileSync(fileOf(ids[2]!), other);
		fs.rmSync(fileOf(ids[1]!));

		const result = await isoman(dir, ['verify', ids[0]!, ids[1]!.slice(0, 5), ids[2]!], 1);
		expect(result.stdout).toMatch(new RegExp(`^${ids[0]}  img0 1\\.0 x86_64 iso  corrupt\\b`, 'm'));
		expect(result.stdout).toMatch(new RegExp(`^${ids[1]}  img1 1\\.0 x86_64 iso  missing\\b`, 'm'));
		expect(result.stdout).toMatch(new RegExp(`^${ids[2]}  img2 1\\.0 x86_64 iso  corrupt\\b`, 'm'));
		const after = await inProcess(dir).images();
		expect(after.find(i => i.id === ids[0])).toMatchObject({status: 'failed', error_code: 'corrupt', error_message: expect.stringContaining(shas[0]!)});
		expect(after.find(i => i.id === ids[1])).toMatchObject({status: 'missing'});
		expect(after.find(i => i.id === ids[2])).toMatchObject({status: 'failed', error_code: 'corrupt'});
		// The corrupt file is kept for the user to decide; retry queues it for a fresh download.
		expect(fs.existsSync(fileOf(ids[0]!))).toBe(true);
		expect((await isoman(dir, ['retry', ids[0]!])).stdout.trim()).toBe(`${ids[0]}  queued`);
		expect(fs.existsSync(fileOf(ids[0]!))).toBe(false);
		expect((await isoman(dir, ['verify', 'abcdefabcdef'], 2)).stderr).toContain('abcdefabcdef');
	});
});

describe('the command line itself', () => {
	it('a bad global setting exits 2 naming the setting, the value and the rule; flags win over the environment', async () => {
		const {dir} = await setUp();
		const env = await runCli(['--data-dir', dir, 'list'], {env: {ISOMAN_CONCURRENCY: '0'}});
		expect(env.code).toBe(2);
		expect(env.stderr).toContain('ISOMAN_CONCURRENCY=0: must be 1..32');
		const flag = await runCli(['--data-dir', dir, 'list', '--concurrency', '40']);
		expect(flag.code).toBe(2);
		expect(flag.stderr).toContain('--concurrency=40: must be 1..32');
		expect((await runCli(['--data-dir', dir, 'list', '--concurrency', '2'], {env: {ISOMAN_CONCURRENCY: '0'}})).code).toBe(0);
		// Boolean settings come from the environment too when their flag is not given.
		const bool = await runCli(['--data-dir', dir, 'list'], {env: {ISOMAN_ASCII: 'maybe'}});
		expect(bool.code).toBe(2);
		expect(bool.stderr).toContain('ISOMAN_ASCII=maybe: must be true or false');
		const level = await runCli(['--data-dir', dir, 'list'], {env: {ISOMAN_LOG_LEVEL: 'loud'}});
		expect(level.code).toBe(2);
		expect(level.stderr).toContain('ISOMAN_LOG_LEVEL=loud');
		// The data directory can come from the environment.
		expect((await runCli(['list', '--json'], {env: {ISOMAN_DATA_DIR: dir}})).stdout.trim()).toBe('[]');
	});

	it('without a terminal, `isoman` exits 2 saying to use --daemon or a subcommand', async () => {
		const {dir} = await setUp();
		const result = await runCli(['--data-dir', dir]);
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/terminal|TTY/);
		expect(result.stderr).toContain('--daemon');
		expect(result.stderr).toMatch(/subcommand/);
	});

	it('unknown commands, unknown flags and flags in the wrong place exit 2; --version prints the version', async () => {
		const {dir} = await setUp();
		const cases: Array<[string[], RegExp]> = [
			[['frobnicate'], /unknown command "frobnicate"/],
			[['list', '--frobnicate'], /frobnicate/],
			[['pause', 'abc', '--json'], /--json is not a flag of pause/],
			[['list', '--checksum', 'ab'], /--checksum is not a flag of list/],
			[['--exit-when-idle'], /--exit-when-idle needs --daemon/],
			[['--daemon', 'list'], /--daemon takes no subcommand/],
			[['--json'], /--json/],
		];
		for (const [args, message] of cases) {
			const result = await runCli(['--data-dir', dir, ...args]);
			expect(result.code, args.join(' ')).toBe(2);
			expect(result.stderr, args.join(' ')).toMatch(message);
		}

		const version = await runCli(['--version']);
		expect(version.code).toBe(0);
		expect(version.stdout).toBe(`${VERSION}\n`);
	});
});
