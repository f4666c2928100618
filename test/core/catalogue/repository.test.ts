import {Worker} from 'node:worker_threads';
import {afterEach, describe, expect, it} from 'vitest';
import {openDatabase} from '../../../source/core/catalogue/database.js';
import {Catalogue, DuplicateImageError, NotFoundError, type NewImage} from '../../../source/core/catalogue/repository.js';
import {imageToJson} from '../../../source/core/image-json.js';
import {IllegalTransitionError, TRANSITIONS} from '../../../source/core/catalogue/transitions.js';
import {ERROR_CODES, STATUSES, type Status} from '../../../source/core/types.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';

let lib: TempLibrary;
afterEach(() => lib?.cleanup());

const sample = (over: Partial<NewImage> = {}): NewImage => ({
	name: 'alpine',
	version: '3.20.3',
	arch: 'x86_64',
	edition: null,
	fileType: 'iso',
	filename: 'alpine-3.20.3-x86_64.iso',
	filePath: 'alpine/3.20.3/x86_64/alpine-3.20.3-x86_64.iso',
	downloadUrl: 'http://127.0.0.1/alpine.iso',
	...over,
});

function open(): Catalogue {
	lib = tempLibrary();
	return new Catalogue(openDatabase(lib.config.dbPath));
}

const setStatus = (c: Catalogue, id: string, status: Status) => c.db.prepare('UPDATE images SET status = ? WHERE id = ?').run(status, id);

describe('catalogue repository', () => {
	it('progress is written without its own fsync, and every other write still syncs fully', () => {
		const c = open();
		const image = c.insert(sample());
		c.setDownloaded(image.id, 4096);
		expect(c.get(image.id)?.downloadedBytes).toBe(4096);
		expect(c.db.pragma('synchronous', {simple: true})).toBe(2); // FULL again after the progress write
		// Even when the write fails (a value SQLite cannot bind), the connection is left at FULL.
		expect(() => c.setDownloaded(image.id, {} as never)).toThrow();
		expect(c.db.pragma('synchronous', {simple: true})).toBe(2);
	});

	it('inserts pending rows and reads them back through one scan function', () => {
		const c = open();
		const image = c.insert(sample());
		expect(image).toMatchObject({status: 'pending', edition: null, downloadedBytes: 0, attempts: 0, name: 'alpine'});
		expect(image.id).toMatch(/^[0-9a-f]{12}$/);
		expect(c.list()).toEqual([image]);
		expect(c.withStatus('pending')).toEqual([image]);
		const json = imageToJson(image);
		expect(Object.keys(json)).toEqual([
			'id', 'name', 'version', 'arch', 'edition', 'file_type', 'filename', 'file_path', 'size_bytes', 'downloaded_bytes', 'status',
			'progress', 'checksum', 'checksum_type', 'expected_checksum', 'download_url', 'checksum_url', 'error_code', 'error_message',
			'created_at', 'completed_at', 'download_count', 'bytes_served', 'verified_at', 'max_rate', 'signature_url', 'signature_key',
			'require_signature', 'signed_by',
		]);
		expect(json.signed_by).toBeNull();
		expect(json.progress).toBeNull();
		c.close();
	});

	it('error codes are a closed set: a code outside ERROR_CODES in a row reads (and prints) as io', () => {
		const c = open();
		const image = c.insert(sample());
		c.transition(image.id, 'failed', {errorCode: 'network', errorMessage: 'reset'});
		expect(imageToJson(c.get(image.id)!)).toMatchObject({status: 'failed', error_code: 'network', error_message: 'reset'});
		// A foreign or older writer left a code isoman does not document.
		c.db.prepare("UPDATE images SET error_code = 'invalid' WHERE id = ?").run(image.id);
		expect(c.get(image.id)!.errorCode).toBe('io');
		expect(imageToJson(c.get(image.id)!).error_code).toBe('io');
		expect(ERROR_CODES).toContain(imageToJson(c.get(image.id)!).error_code);
		c.close();
	});

	it('turns a clash on the identity index into a typed duplicate error with the existing id', () => {
		const c = open();
		const first = c.insert(sample());
		let caught: unknown;
		try {
			c.insert(sample({downloadUrl: 'http://other/alpine.iso'}));
		} catch (error) {
			caught = error;
		}

		expect(caught).toBeInstanceOf(DuplicateImageError);
		expect((caught as DuplicateImageError).existingId).toBe(first.id);
		// Another edition is another image.
		expect(() => c.insert(sample({edition: 'virt', filePath: 'alpine/3.20.3/x86_64/v.iso'}))).not.toThrow();
		expect(c.list()).toHaveLength(2);
		c.close();
	});

	it('resolves unique id prefixes like git and refuses ambiguous or unknown ones', () => {
		const c = open();
		const a = c.insert(sample());
		expect(c.resolve(a.id.slice(0, 4)).id).toBe(a.id);
		expect(() => c.resolve('zz')).toThrow(NotFoundError);
		c.db.prepare("UPDATE images SET id = 'abc111' WHERE id = ?").run(a.id);
		c.insert(sample({version: '2', filePath: 'x/2'}));
		c.db.prepare("UPDATE images SET id = 'abc222' WHERE version = '2'").run();
		expect(() => c.resolve('abc')).toThrow('ambiguous');
		expect(c.resolve('abc2').id).toBe('abc222');
		c.close();
	});

	it('allows exactly the legal transitions of and records an event for each', () => {
		const c = open();
		const image = c.insert(sample());
		let legal = 0;
		let illegal = 0;
		for (const from of STATUSES) {
			for (const to of STATUSES) {
				setStatus(c, image.id, from);
				const before = c.events(image.id, 1000).length;
				if (TRANSITIONS[from].includes(to)) {
					const after = c.transition(image.id, to, to === 'failed' ? {errorCode: 'network', errorMessage: 'x'} : {});
					expect(after.status).toBe(to);
					expect(c.events(image.id, 1000)).toHaveLength(before + 1);
					legal++;
				} else {
					expect(() => c.transition(image.id, to)).toThrow(IllegalTransitionError);
					expect(c.get(image.id)!.status).toBe(from);
					expect(c.events(image.id, 1000)).toHaveLength(before);
					illegal++;
				}
			}
		}

		expect(legal + illegal).toBe(49);
		// The ones the state table forbids are refused.
		for (const [from, to] of [['complete', 'downloading'], ['paused', 'downloading'], ['failed', 'paused'], ['missing', 'downloading'], ['complete', 'pending']] as const) {
			setStatus(c, image.id, from);
			expect(() => c.transition(image.id, to)).toThrow(`is ${from}; it cannot become ${to}`);
		}

		c.close();
	});

	it('names the audit event after the transition', () => {
		const c = open();
		const {id} = c.insert(sample());
		c.transition(id, 'downloading');
		c.transition(id, 'paused');
		c.transition(id, 'pending');
		c.transition(id, 'downloading');
		c.transition(id, 'verifying');
		c.transition(id, 'complete');
		c.transition(id, 'missing');
		c.transition(id, 'pending');
		c.transition(id, 'failed', {errorCode: 'cancelled', errorMessage: 'by user'});
		expect(c.events(id, 100).map(e => e.kind).reverse()).toEqual([
			'added', 'started', 'paused', 'resumed', 'started', 'started', 'completed', 'missing', 'retried', 'cancelled',
		]);
		expect(c.remove(id)).toBe(true);
		expect(c.events(id, 1)[0]!.kind).toBe('removed');
		c.close();
	});

	it('clears the error when a row leaves failed', () => {
		const c = open();
		const {id} = c.insert(sample());
		c.transition(id, 'failed', {errorCode: 'http_status', errorMessage: 'HTTP 404'});
		expect(c.get(id)).toMatchObject({errorCode: 'http_status', errorMessage: 'HTTP 404'});
		expect(c.transition(id, 'pending')).toMatchObject({errorCode: null, errorMessage: null});
		c.close();
	});

	it('20 parallel adds of one image from 20 connections give one row and 19 typed duplicate errors', async () => {
		lib = tempLibrary();
		openDatabase(lib.config.dbPath).close();
		const barrier = new SharedArrayBuffer(8);
		const flags = new Int32Array(barrier);
		const url = 'http://127.0.0.1:9/pub/alpine-standard-3.20.3-x86_64.iso';
		const workers = Array.from({length: 20}, () => new Worker(new URL('../../support/add-worker.mjs', import.meta.url), {workerData: {dataDir: lib.dir, url, barrier}}));
		const results = workers.map(
			worker =>
				new Promise<{ok: boolean; id?: string; name?: string; existingId?: string}>((resolve, reject) => {
					worker.once('message', resolve);
					worker.once('error', reject);
				}),
		);
		const ready = Promise.race([
			waitFor(() => Atomics.load(flags, 0) === 20, {what: '20 workers at the barrier'}),
			...results.map(async r => r.then(() => {
				throw new Error('a worker finished before the barrier');
			})),
		]);
		await ready;
		Atomics.store(flags, 1, 1);
		Atomics.notify(flags, 1);
		const outcomes = await Promise.all(results);
		await Promise.all(workers.map(async w => w.terminate()));
		const ok = outcomes.filter(o => o.ok);
		const dup = outcomes.filter(o => !o.ok);
		expect(ok).toHaveLength(1);
		expect(dup).toHaveLength(19);
		for (const d of dup) {
			expect(d.name).toBe('DuplicateImageError');
			expect(d.existingId).toBe(ok[0]!.id);
		}

		const c = new Catalogue(openDatabase(lib.config.dbPath));
		expect(c.list()).toHaveLength(1);
		c.close();
	});
});
