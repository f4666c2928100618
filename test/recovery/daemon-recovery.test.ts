/**
 * Startup recovery in the real program: `node dist/cli.js --daemon` on a library left as a crash leaves it. Recovery
 * runs in one pass before any download starts, is logged (one line per action, one summary) and reported on the
 * `started` line, and the stuck download resumes from its .part.
 */
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import {afterEach, describe, expect, it} from 'vitest';
import {prepareAdd} from '../../source/core/add-input.js';
import {openDatabase} from '../../source/core/catalogue/database.js';
import {Catalogue} from '../../source/core/catalogue/repository.js';
import {writeSidecar} from '../../source/core/checksum/index.js';
import type {RecoveryReport} from '../../source/core/recovery.js';
import {checkLibrary} from '../support/crash-checker.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {generatedBytes, startTestServer, type TestServer} from '../support/server.js';
import {MiB} from '../support/sizes.js';

const execFileAsync = promisify(execFile);
const CLI = path.resolve('dist/cli.js');

let lib: TempLibrary | undefined;
let server: TestServer | undefined;
afterEach(async () => {
	await server?.close();
	lib?.cleanup();
	server = undefined;
	lib = undefined;
});

describe('daemon start-up recovery', () => {
	it('recovers before the first download, logs each action and a summary, reports it on `started`, and resumes the stuck download', async () => {
		expect(fs.existsSync(CLI), `${CLI} is missing: build first (npx tsc -p tsconfig.json)`).toBe(true);
		lib = tempLibrary();
		server = await startTestServer();
		const {config} = lib;
		const size = 6 * MiB;
		const file = '/p/alpine-virt-3.20.3-x86_64.iso';
		const sha = await server.serve(file, {kind: 'generated', size, seed: 11, fileType: 'iso'}, {throttleBps: 8 * MiB});

		// A library as a kill -9 leaves it.
		fs.mkdirSync(config.tmpDir, {recursive: true});
		const catalogue = new Catalogue(openDatabase(config.dbPath));
		const stuck = catalogue.insert(prepareAdd({url: server.url(file), checksum: `sha256:${sha}`}));
		catalogue.db.prepare("UPDATE images SET status = 'downloading', downloaded_bytes = ?, size_bytes = ? WHERE id = ?").run(MiB, size, stuck.id);
		fs.writeFileSync(path.join(config.tmpDir, `${stuck.id}.part`), generatedBytes(size, 11, 'iso').subarray(0, 3 * MiB));
		const gone = catalogue.insert(prepareAdd({url: 'https://example.org/gone-1.0-x86_64.iso'}));
		const goneBytes = generatedBytes(64 * 1024, 12, 'iso');
		const goneHex = createHash('sha256').update(goneBytes).digest('hex');
		const goneDir = path.dirname(path.join(config.imagesDir, gone.filePath));
		fs.mkdirSync(goneDir, {recursive: true});
		await writeSidecar(goneDir, gone.filename, 'sha256', goneHex);
		catalogue.db
			.prepare("UPDATE images SET status = 'complete', checksum = ?, checksum_type = 'sha256', size_bytes = ?, downloaded_bytes = ? WHERE id = ?")
			.run(goneHex, goneBytes.length, goneBytes.length, gone.id);
		fs.writeFileSync(path.join(config.tmpDir, '0123456789ab.part'), 'stale');
		fs.writeFileSync(path.join(config.imagesDir, 'mine.iso'), 'a file of my own');
		catalogue.close();

		const {stdout} = await execFileAsync(process.execPath, [CLI, '--daemon', '--exit-when-idle', '--data-dir', config.dataDir, '--log-level', 'debug'], {timeout: 30_000});
		const lines = stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		const started = lines.findIndex(line => line['event'] === 'started');
		expect(started).toBeGreaterThanOrEqual(0);
		const report = lines[started]!['recovery'] as RecoveryReport;
		expect(report).toMatchObject({requeued: [stuck.id], missing: [gone.id], partsDeleted: ['0123456789ab.part'], untracked: ['mine.iso'], completed: [], corrupt: []});
		// Nothing downloaded before recovery was done.
		expect(lines.findIndex(line => line['event'] === 'downloading')).toBeGreaterThan(started);
		expect(lines.at(-1)).toMatchObject({event: 'stopped', exit_code: 0});

		const log = fs
			.readFileSync(config.logPath, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		const events = log.map(line => String(line['event']));
		const recovery = events.filter(event => event.startsWith('recovery.'));
		expect(recovery.sort()).toEqual(['recovery.missing', 'recovery.part_deleted', 'recovery.requeued', 'recovery.summary', 'recovery.untracked'].sort());
		expect(events.lastIndexOf('recovery.summary')).toBeLessThan(events.indexOf('download.request'));
		expect(log.find(line => line['event'] === 'recovery.summary')).toMatchObject({requeued: 1, missing: 1, partsDeleted: 1, untracked: 1, completed: 0});

		// The stuck download resumed from its .part (3 MiB), not from the row's stale 1 MiB nor from 0.
		expect(server.requestsFor(file).map(r => r.range)).toEqual([`bytes=${3 * MiB}-`]);
		const checked = await checkLibrary(config, {allowedFiles: ['mine.iso']});
		expect(checked.violations).toEqual([]);
		expect(checked.rows.find(row => row.id === stuck.id)).toMatchObject({status: 'complete', checksum: sha});
		expect(checked.rows.find(row => row.id === gone.id)?.status).toBe('missing');
		expect(fs.readFileSync(path.join(config.imagesDir, 'mine.iso'), 'utf8')).toBe('a file of my own');
	});
});
