/**
 * The command queue has replies: a ClientLibrary in this process, over a real daemon (`dist/cli.js --daemon`,
 * another process), gets for every action the value the owner returns or the same typed error the owner throws,
 * accepted and refused; and the CLI prints those answers. No audit events are read to learn an outcome.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {DuplicateImageError, NotFoundError} from '../../source/core/catalogue/repository.js';
import {IllegalTransitionError} from '../../source/core/catalogue/transitions.js';
import {ClientLibrary} from '../../source/core/client-library.js';
import {OwnerUnavailableError} from '../../source/core/command-queue.js';
import {silentLogger} from '../../source/core/log.js';
import {IsomanError} from '../../source/core/types.js';
import {KiB, MiB} from '../support/sizes.js';
import {waitFor} from '../support/library.js';
import {isEvent, isoman, partSize, startDaemon, withLibraryAndServer} from './helpers.js';

const {setUp} = withLibraryAndServer();

/** What `fn` throws (it must throw). */
async function thrown(fn: () => Promise<unknown>): Promise<Error> {
	try {
		await fn();
	} catch (error) {
		return error as Error;
	}

	throw new Error('expected it to throw');
}

describe('commands through a daemon get the owner\'s answer', () => {
	it('pause, resume, cancel, retry, verify, remove and add: accepted ones return the owner\'s row, refused ones its typed error', async () => {
		const {dir, config, server} = await setUp();
		const slowPath = '/r/slow-1.0-x86_64.iso';
		await server.serve(slowPath, {kind: 'generated', size: 16 * MiB, seed: 71, fileType: 'iso'}, {throttleBps: 256 * KiB});
		const sha = await server.serve('/r/done-2.0-x86_64.iso', {kind: 'generated', size: 300 * KiB, seed: 72, fileType: 'iso'});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));
		const client = new ClientLibrary({config, log: silentLogger, ownerPid: daemon.pid, ownerRole: 'daemon'});
		try {
			// add: accepted (the daemon inserts and answers with the row), refused (invalid input, duplicate).
			const slow = await client.add({url: server.url(slowPath)});
			expect(slow).toMatchObject({name: 'slow', version: '1.0', status: 'pending'});
			const done = await client.add({url: server.url('/r/done-2.0-x86_64.iso'), checksum: `sha256:${sha}`});
			const invalid = await thrown(async () => client.add({url: 'ftp://example.com/x-1.0.iso'}));
			expect(invalid).toBeInstanceOf(IsomanError);
			expect(invalid).toMatchObject({code: 'invalid', field: 'url'});
			const duplicate = await thrown(async () => client.add({url: server.url(slowPath)}));
			expect(duplicate).toBeInstanceOf(DuplicateImageError);
			expect((duplicate as DuplicateImageError).existingId).toBe(slow.id);

			await daemon.next(isEvent('complete', done.id));
			await daemon.next(isEvent('downloading', slow.id));
			await waitFor(() => partSize(dir, slow.id) > 32 * KiB, {what: 'bytes in the .part'});

			// pause: accepted while downloading (the answer is the paused row), refused once paused.
			const paused = await client.pause(slow.id.slice(0, 7));
			expect(paused).toMatchObject({id: slow.id, status: 'paused'});
			const pauseAgain = await thrown(async () => client.pause(slow.id));
			expect(pauseAgain).toBeInstanceOf(IllegalTransitionError);
			expect(pauseAgain.message).toBe(`image ${slow.id} is paused; only a queued or running download can be paused`);
			expect(pauseAgain).toMatchObject({code: 'illegal_transition', imageId: slow.id, from: 'paused', attempted: 'pause'});

			// resume: accepted on paused, refused on complete.
			expect(await client.resume(slow.id)).toMatchObject({id: slow.id, status: 'pending'});
			const resumeDone = await thrown(async () => client.resume(done.id));
			expect(resumeDone).toBeInstanceOf(IllegalTransitionError);
			expect(resumeDone.message).toBe(`image ${done.id} is complete; only a paused download can be resumed`);

			// cancel: accepted on a queued/running download, refused on complete.
			expect(await client.cancel(slow.id)).toMatchObject({id: slow.id, status: 'failed', errorCode: 'cancelled'});
			expect(fs.existsSync(path.join(config.tmpDir, `${slow.id}.part`))).toBe(false);
			expect(await thrown(async () => client.cancel(done.id))).toBeInstanceOf(IllegalTransitionError);

			// retry: accepted on failed, refused on complete.
			expect(await client.retry(slow.id)).toMatchObject({id: slow.id, status: 'pending', errorCode: null});
			const retryDone = await thrown(async () => client.retry(done.id));
			expect(retryDone.message).toBe(`image ${done.id} is complete; only a failed or missing image can be retried`);

			// verify: the real outcome (not "queued"): ok for the complete one, skipped with the reason for the other;
			// then corrupt once its bytes change.
			const results = await client.verify([done.id, slow.id]);
			expect(results).toEqual([
				{id: done.id, outcome: 'ok'},
				{id: slow.id, outcome: 'skipped', message: expect.stringMatching(new RegExp(`^image ${slow.id} is (pending|downloading); only a complete`)) as unknown},
			]);
			const file = path.join(config.imagesDir, done.filePath);
			const bytes = fs.readFileSync(file);
			bytes[1000] = bytes[1000]! ^ 0xff;
			fs.writeFileSync(file, bytes);
			const [corrupt] = await client.verify([done.id]);
			expect(corrupt).toMatchObject({id: done.id, outcome: 'corrupt', message: expect.stringContaining(`expected ${sha}`) as unknown});
			expect(client.get(done.id)).toMatchObject({status: 'failed', errorCode: 'corrupt'});

			// remove: accepted (the row and files go), refused for an id the daemon does not know.
			await client.remove(slow.id);
			expect(client.get(slow.id)).toBeUndefined();
			const unknown = await thrown(async () => client.remove('ffffffffffff'));
			expect(unknown).toBeInstanceOf(NotFoundError);
			expect(unknown.message).toBe('ffffffffffff: no image with that id');

			// Every answered command row was read and deleted by its sender.
			expect(commandRows(config.dbPath)).toBe(0);
		} finally {
			await client.close();
		}
	});

	it('the CLI prints the daemon\'s answers: the new state, the refusal with its reason (exit 1), verify\'s real outcome', async () => {
		const {dir, server} = await setUp();
		const sha = await server.serve('/c/cli-1.0-x86_64.iso', {kind: 'generated', size: 200 * KiB, seed: 73, fileType: 'iso'});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));
		const added = await isoman(dir, ['add', server.url('/c/cli-1.0-x86_64.iso'), '--checksum', `sha256:${sha}`, '--json']);
		const id = (JSON.parse(added.stdout) as {id: string}).id;
		await daemon.next(isEvent('complete', id));
		expect((await isoman(dir, ['verify', id])).stdout.trim()).toBe(`${id}  cli 1.0 x86_64 iso  ok`);
		const refused = await isoman(dir, ['pause', id], 1);
		expect(refused.stderr.trim()).toBe(`isoman: image ${id} is complete; only a queued or running download can be paused`);
		const duplicate = await isoman(dir, ['add', server.url('/c/cli-1.0-x86_64.iso')], 3);
		expect(duplicate.stdout.trim()).toBe(id);
		expect((await isoman(dir, ['remove', id])).stdout.trim()).toBe(`${id}  removed`);
	});

	it('a client whose daemon is gone gets a clear error and its command is withdrawn', async () => {
		const {dir, config} = await setUp();
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));
		const client = new ClientLibrary({config, log: silentLogger, ownerPid: daemon.pid, ownerRole: 'daemon', pickUpMs: 60_000});
		try {
			daemon.kill('SIGKILL');
			await daemon.exited;
			const error = await thrown(async () => client.add({url: 'http://127.0.0.1:9/g/gone-1.0-x86_64.iso'}));
			expect(error).toBeInstanceOf(OwnerUnavailableError);
			expect(error.message).toContain(`isoman daemon pid ${daemon.pid} exited before carrying it out`);
			expect(commandRows(config.dbPath)).toBe(0);
			expect(client.list()).toEqual([]);
		} finally {
			await client.close();
		}
	});
});

/** The command rows left in the catalogue, seen by a fresh connection (what any process would see). */
function commandRows(dbPath: string): number {
	const db = new Database(dbPath, {readonly: true});
	try {
		return db.prepare('SELECT count(*) FROM commands').pluck().get() as number;
	} finally {
		db.close();
	}
}
