/**
 * Startup recovery, rule by rule (issue 5 §2), on libraries prepared by hand: rows put into the states a kill -9
 * leaves (UPDATE images SET status = …), .part files, final files and sidecars written directly. Each test checks
 * the report, the rows, the disk, the log (one line per action plus one summary), and then the invariants with the
 * same checker the crash harness uses.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {prepareAdd} from '../../source/core/add-input.js';
import {openDatabase} from '../../source/core/catalogue/database.js';
import {Catalogue} from '../../source/core/catalogue/repository.js';
import {sidecarFileName, sidecarLine, writeSidecar} from '../../source/core/checksum/index.js';
import {createLogger, memorySink} from '../../source/core/log.js';
import {recover, type RecoveryReport} from '../../source/core/recovery.js';
import type {Image} from '../../source/core/types.js';
import {checkLibrary} from '../support/crash-checker.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {generatedBytes} from '../support/server.js';
import {KiB} from '../support/sizes.js';


type Prepared = {
	lib: TempLibrary;
	catalogue: Catalogue;
	/** Insert a pending row for `url` (an iso URL whose file name gives name and version). */
	add(url: string, options?: {checksum?: string}): Image;
	/** Set columns directly, as a crash would have left them (no transition, no event). */
	set(id: string, fields: Record<string, string | number | null>): void;
	get(id: string): Image;
	part(id: string): string;
	final(image: Image): string;
	sidecar(image: Image): string;
	writePart(id: string, bytes: Buffer): void;
	writeFinal(image: Image, bytes: Buffer): void;
	/** A complete row with its verified file and sidecar, as a finished download leaves it. */
	makeComplete(image: Image, bytes: Buffer, options?: {verified?: boolean}): Promise<Image>;
	recover(): Promise<{report: RecoveryReport; actions: Array<Record<string, unknown>>; summary: Record<string, unknown>}>;
};

const open: Prepared[] = [];
afterEach(() => {
	for (const p of open.splice(0)) {
		p.catalogue.close();
		p.lib.cleanup();
	}
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that pass as an iso (CD001 at 0x8001). */
function iso(seed: number, size = 96 * KiB): Buffer {
	return generatedBytes(size, seed, 'iso');
}

let urlCounter = 0;
const isoUrl = (name = 'alpine') => `https://mirror.example/pub/${name}-3.${++urlCounter}.0-x86_64.iso`;

function prepare(): Prepared {
	const lib = tempLibrary();
	const {config} = lib;
	fs.mkdirSync(config.tmpDir, {recursive: true});
	const catalogue = new Catalogue(openDatabase(config.dbPath));
	const get = (id: string) => catalogue.get(id)!;
	const final = (image: Image) => path.join(config.imagesDir, image.filePath);
	const sidecar = (image: Image) => path.join(path.dirname(final(image)), sidecarFileName(image.filename, image.checksumType ?? 'sha256'));
	const set = (id: string, fields: Record<string, string | number | null>) => {
		const sets = Object.keys(fields).map(key => `${key} = @${key}`);
		catalogue.db.prepare(`UPDATE images SET ${sets.join(', ')} WHERE id = @id`).run({...fields, id});
	};

	const prepared: Prepared = {
		lib,
		catalogue,
		add: (url, options = {}) => catalogue.insert(prepareAdd({url, checksum: options.checksum})),
		set,
		get,
		part: id => path.join(config.tmpDir, `${id}.part`),
		final,
		sidecar,
		writePart: (id, bytes) => fs.writeFileSync(path.join(config.tmpDir, `${id}.part`), bytes),
		writeFinal(image, bytes) {
			fs.mkdirSync(path.dirname(final(image)), {recursive: true});
			fs.writeFileSync(final(image), bytes);
		},
		async makeComplete(image, bytes, options = {}) {
			const hex = sha256(bytes);
			prepared.writeFinal(image, bytes);
			await writeSidecar(path.dirname(final(image)), image.filename, 'sha256', hex);
			set(image.id, {
				status: 'complete',
				checksum: hex,
				checksum_type: 'sha256',
				expected_checksum: options.verified === false ? null : hex,
				size_bytes: bytes.length,
				downloaded_bytes: bytes.length,
				completed_at: new Date().toISOString(),
			});
			return get(image.id);
		},
		async recover() {
			const sink = memorySink();
			const report = await recover(config, catalogue, createLogger({level: 'debug', sink}));
			const lines = sink.records().filter(r => String(r['event']).startsWith('recovery.'));
			const summaries = lines.filter(r => r['event'] === 'recovery.summary');
			// Exactly one summary, after every action line.
			expect(summaries).toHaveLength(1);
			expect(lines.at(-1)).toBe(summaries[0]);
			const actions = lines.slice(0, -1);
			const summary = summaries[0]!;
			// The summary's counts are the report's, and each counted action has its own line.
			const counts = Object.fromEntries(Object.entries(report).map(([key, list]) => [key, (list as string[]).length]));
			expect(summary).toMatchObject(counts);
			expect(actions).toHaveLength(Object.values(counts).reduce((a, b) => a + b, 0));
			return {report, actions, summary};
		},
	};
	open.push(prepared);
	return prepared;
}

/** The invariants, with the catalogue's own connection. */
async function invariants(p: Prepared, allowedFiles: string[] = []): Promise<string[]> {
	return (await checkLibrary(p.lib.config, {db: p.catalogue.db, allowedFiles})).violations;
}

const eventsOf = (actions: Array<Record<string, unknown>>) => actions.map(a => a['event']);

describe('recovery: rows a crash left mid-flight', () => {
	it('a downloading row goes back to pending, keeps its .part, and downloaded_bytes becomes the .part size', async () => {
		const p = prepare();
		const behind = p.add(isoUrl()); // progress is written at most once a second: the row is behind the .part
		const ahead = p.add(isoUrl()); // e.g. page cache lost with the machine: the row says more than the disk has
		const none = p.add(isoUrl()); // killed before the first byte was written
		p.set(behind.id, {status: 'downloading', downloaded_bytes: 10 * KiB, size_bytes: 96 * KiB});
		p.set(ahead.id, {status: 'downloading', downloaded_bytes: 80 * KiB, size_bytes: 96 * KiB});
		p.set(none.id, {status: 'downloading', downloaded_bytes: 0});
		const bytes = iso(1);
		p.writePart(behind.id, bytes.subarray(0, 40 * KiB));
		p.writePart(ahead.id, bytes.subarray(0, 24 * KiB));

		const {report, actions} = await p.recover();

		expect(report.requeued.sort()).toEqual([behind.id, ahead.id, none.id].sort());
		expect(p.get(behind.id)).toMatchObject({status: 'pending', downloadedBytes: 40 * KiB});
		expect(p.get(ahead.id)).toMatchObject({status: 'pending', downloadedBytes: 24 * KiB});
		expect(p.get(none.id)).toMatchObject({status: 'pending', downloadedBytes: 0});
		expect(fs.readFileSync(p.part(behind.id))).toEqual(bytes.subarray(0, 40 * KiB));
		expect(fs.statSync(p.part(ahead.id)).size).toBe(24 * KiB);
		expect(actions).toEqual(
			expect.arrayContaining([
				expect.objectContaining({event: 'recovery.requeued', id: behind.id, was: 'downloading', partBytes: 40 * KiB}),
				expect.objectContaining({event: 'recovery.requeued', id: ahead.id, was: 'downloading', partBytes: 24 * KiB}),
				expect.objectContaining({event: 'recovery.requeued', id: none.id, was: 'downloading', partBytes: 0}),
			]),
		);
		expect(report.partsDeleted).toEqual([]);
		expect(p.catalogue.events(behind.id, 1)[0]).toMatchObject({kind: 'requeued', detail: 'recovery: was downloading'});
		expect(await invariants(p)).toEqual([]);
	});

	it('a verifying row with its complete .part and no final file goes back to pending (the .part is resumed, not refetched)', async () => {
		const p = prepare();
		const image = p.add(isoUrl());
		const bytes = iso(2);
		p.writePart(image.id, bytes);
		p.set(image.id, {status: 'verifying', checksum: sha256(bytes), checksum_type: 'sha256', size_bytes: bytes.length, downloaded_bytes: bytes.length});

		const {report, actions} = await p.recover();

		expect(report.requeued).toEqual([image.id]);
		expect(p.get(image.id)).toMatchObject({status: 'pending', downloadedBytes: bytes.length});
		expect(fs.readFileSync(p.part(image.id))).toEqual(bytes);
		expect(fs.existsSync(p.final(image))).toBe(false);
		expect(eventsOf(actions)).toEqual(['recovery.requeued']);
		expect(await invariants(p)).toEqual([]);
	});

	it('a verifying row whose file is already at its final path and matches is completed (crash between rename and commit)', async () => {
		const p = prepare();
		const bytes = iso(3);
		const verified = p.add(isoUrl(), {checksum: `sha256:${sha256(bytes)}`});
		const unverified = p.add(isoUrl()); // no checksum given: the digest recorded when the download finished is the reference
		const other = iso(4);
		for (const [image, content] of [
			[verified, bytes],
			[unverified, other],
		] as const) {
			p.writeFinal(image, content);
			p.set(image.id, {status: 'verifying', checksum: sha256(content), checksum_type: 'sha256', size_bytes: content.length, downloaded_bytes: content.length});
		}

		// A half-written sidecar from the same crash, next to the verified file.
		const sidecarTemp = path.join(path.dirname(p.final(verified)), `.${verified.filename}.sha256.0123456789abcdef.sidecar-tmp`);
		fs.writeFileSync(sidecarTemp, 'half');

		const {report, actions} = await p.recover();

		expect(report.completed.sort()).toEqual([verified.id, unverified.id].sort());
		expect(report.requeued).toEqual([]);
		for (const [image, content] of [
			[verified, bytes],
			[unverified, other],
		] as const) {
			const row = p.get(image.id);
			expect(row).toMatchObject({status: 'complete', checksum: sha256(content), checksumType: 'sha256', sizeBytes: content.length, downloadedBytes: content.length});
			expect(row.completedAt).not.toBeNull();
			expect(fs.readFileSync(p.final(image))).toEqual(content);
			expect(fs.readFileSync(p.sidecar(image), 'utf8')).toBe(sidecarLine(sha256(content), image.filename));
		}

		expect(p.get(verified.id).expectedChecksum).toBe(sha256(bytes));
		expect(p.get(unverified.id).expectedChecksum).toBeNull();
		expect(fs.existsSync(sidecarTemp)).toBe(false);
		expect(report.filesDeleted).toEqual([path.relative(p.lib.config.imagesDir, sidecarTemp)]);
		expect(eventsOf(actions).sort()).toEqual(['recovery.completed', 'recovery.completed', 'recovery.file_deleted']);
		// The temporary file goes before its row is committed: a kill during this recovery, after the commit, must not
		// leave a complete row beside it for only the next start to delete.
		const deletedAt = actions.findIndex(a => a['event'] === 'recovery.file_deleted');
		const completedAt = actions.findIndex(a => a['event'] === 'recovery.completed' && a['id'] === verified.id);
		expect(deletedAt).toBeGreaterThanOrEqual(0);
		expect(deletedAt).toBeLessThan(completedAt);
		expect(await invariants(p)).toEqual([]);
	});

	it('a verifying row with a different file at its final path keeps the file (never ours) and fails, as adopting it would', async () => {
		// Only adoption can leave this: a file someone put at the image's path was being hashed when the kill came.
		// Our own download is renamed into place only after it verified, so a mismatch is never our file.
		const p = prepare();
		const expected = iso(5);
		const image = p.add(isoUrl(), {checksum: `sha256:${sha256(expected)}`});
		const theirs = iso(6);
		p.writeFinal(image, theirs);
		p.set(image.id, {status: 'verifying'});

		const {report, actions} = await p.recover();

		expect(report.failed).toEqual([image.id]);
		expect(report.requeued).toEqual([]);
		expect(fs.readFileSync(p.final(image))).toEqual(theirs);
		const row = p.get(image.id);
		expect(row.status).toBe('failed');
		expect(row.errorCode).toBe('io');
		expect(row.errorMessage).toContain('a different file already exists at');
		expect(row.errorMessage).toContain(sha256(theirs));
		expect(row.errorMessage).toContain(sha256(expected));
		expect(eventsOf(actions)).toEqual(['recovery.failed']);
		expect(await invariants(p, [image.filePath])).toEqual([]);
	});
});

describe('recovery: pending and paused rows', () => {
	it('downloaded_bytes of pending and paused rows is reset to their .part size (0 without one)', async () => {
		const p = prepare();
		const paused = p.add(isoUrl());
		const pending = p.add(isoUrl());
		const gone = p.add(isoUrl());
		const same = p.add(isoUrl());
		p.set(paused.id, {status: 'paused', downloaded_bytes: 70 * KiB});
		p.set(pending.id, {downloaded_bytes: 5 * KiB});
		p.set(gone.id, {status: 'paused', downloaded_bytes: 50 * KiB});
		p.set(same.id, {downloaded_bytes: 32 * KiB});
		p.writePart(paused.id, iso(7).subarray(0, 48 * KiB));
		p.writePart(pending.id, iso(8).subarray(0, 16 * KiB));
		p.writePart(same.id, iso(9).subarray(0, 32 * KiB));

		const {report, actions} = await p.recover();

		expect(p.get(paused.id)).toMatchObject({status: 'paused', downloadedBytes: 48 * KiB});
		expect(p.get(pending.id)).toMatchObject({status: 'pending', downloadedBytes: 16 * KiB});
		expect(p.get(gone.id)).toMatchObject({status: 'paused', downloadedBytes: 0});
		expect(p.get(same.id)).toMatchObject({status: 'pending', downloadedBytes: 32 * KiB});
		expect(report.progressReset.sort()).toEqual([paused.id, pending.id, gone.id].sort());
		expect(actions).toEqual(
			expect.arrayContaining([expect.objectContaining({event: 'recovery.progress_reset', id: paused.id, status: 'paused', was: 70 * KiB, partBytes: 48 * KiB})]),
		);
		expect(report.partsDeleted).toEqual([]);
		expect(await invariants(p)).toEqual([]);
	});
});

describe('recovery: stale temporary files', () => {
	it('deletes a .part with no row, or whose row is complete, failed or missing; keeps unfinished rows\' parts; leaves anything that is not its own .part alone', async () => {
		const p = prepare();
		const complete = await p.makeComplete(p.add(isoUrl()), iso(10));
		const failed = p.add(isoUrl());
		const missing = p.add(isoUrl());
		const paused = p.add(isoUrl());
		p.set(failed.id, {status: 'failed', error_code: 'network', error_message: 'gave up'});
		p.set(missing.id, {status: 'missing'});
		p.set(paused.id, {status: 'paused', downloaded_bytes: 8 * KiB});
		for (const id of [complete.id, failed.id, missing.id, paused.id, 'f00dfeedbeef']) p.writePart(id, iso(11).subarray(0, 8 * KiB));
		fs.writeFileSync(path.join(p.lib.config.tmpDir, 'stray.tmp'), 'x');
		fs.mkdirSync(path.join(p.lib.config.tmpDir, 'stray-dir'));
		fs.writeFileSync(path.join(p.lib.config.tmpDir, 'stray-dir', 'inner'), 'x');

		const {report, actions} = await p.recover();

		expect(fs.readdirSync(p.lib.config.tmpDir).sort()).toEqual([`${paused.id}.part`, 'stray-dir', 'stray.tmp'].sort());
		expect(fs.readdirSync(path.join(p.lib.config.tmpDir, 'stray-dir'))).toEqual(['inner']);
		expect(report.partsDeleted.sort()).toEqual([`${complete.id}.part`, `${failed.id}.part`, `${missing.id}.part`, 'f00dfeedbeef.part'].sort());
		expect(report.foreignInTmp.sort()).toEqual(['stray-dir', 'stray.tmp']);
		const reasons = Object.fromEntries(actions.filter(a => a['event'] === 'recovery.part_deleted').map(a => [a['file'], a['reason']]));
		expect(reasons).toEqual({
			[`${complete.id}.part`]: 'row is complete',
			[`${failed.id}.part`]: 'row is failed',
			[`${missing.id}.part`]: 'row is missing',
			'f00dfeedbeef.part': 'no row',
		});
		// The rows are untouched.
		expect(p.get(complete.id).status).toBe('complete');
		expect(p.get(failed.id)).toMatchObject({status: 'failed', errorCode: 'network'});
		expect(p.get(missing.id).status).toBe('missing');
		expect(p.get(paused.id)).toMatchObject({status: 'paused', downloadedBytes: 8 * KiB});
		fs.rmSync(path.join(p.lib.config.tmpDir, 'stray.tmp'));
		fs.rmSync(path.join(p.lib.config.tmpDir, 'stray-dir'), {recursive: true});
		expect(await invariants(p)).toEqual([]);
	});

	it('the .part of a removed row (crash between deleting the row and its files) is deleted; its final file is only reported', async () => {
		const p = prepare();
		const image = await p.makeComplete(p.add(isoUrl()), iso(12));
		const other = p.add(isoUrl());
		p.set(other.id, {status: 'downloading', downloaded_bytes: 0});
		p.writePart(other.id, iso(13).subarray(0, 4 * KiB));
		p.catalogue.remove(image.id);
		p.catalogue.remove(other.id);

		const {report} = await p.recover();

		expect(report.partsDeleted).toEqual([`${other.id}.part`]);
		expect(report.untracked.sort()).toEqual([image.filePath, path.relative(p.lib.config.imagesDir, p.sidecar(image))].sort());
		expect(fs.existsSync(p.final(image))).toBe(true);
		expect(fs.existsSync(p.sidecar(image))).toBe(true);
		expect(await invariants(p, report.untracked)).toEqual([]);
	});
});

describe('recovery: complete rows', () => {
	it('a complete row whose file is gone becomes missing', async () => {
		const p = prepare();
		const image = await p.makeComplete(p.add(isoUrl()), iso(14));
		const kept = await p.makeComplete(p.add(isoUrl()), iso(15));
		fs.rmSync(p.final(image));

		const {report, actions} = await p.recover();

		expect(report.missing).toEqual([image.id]);
		expect(p.get(image.id).status).toBe('missing');
		expect(p.get(kept.id).status).toBe('complete');
		expect(actions).toEqual([expect.objectContaining({event: 'recovery.missing', id: image.id, path: image.filePath})]);
		expect(p.catalogue.events(image.id, 1)[0]).toMatchObject({kind: 'missing'});
		// The sidecar of a missing image is still its row's (retry deletes it); nothing is reported untracked.
		expect(report.untracked).toEqual([]);
	});

	it('a complete row whose file changed size is re-verified: corrupt (file kept) when the digest differs', async () => {
		const p = prepare();
		const bytes = iso(16);
		const image = await p.makeComplete(p.add(isoUrl()), bytes);
		fs.appendFileSync(p.final(image), Buffer.from('appended by someone'));

		const {report, actions} = await p.recover();

		expect(report.corrupt).toEqual([image.id]);
		expect(report.reverified).toEqual([]);
		const row = p.get(image.id);
		expect(row).toMatchObject({status: 'failed', errorCode: 'corrupt'});
		expect(row.errorMessage).toContain(`expected ${bytes.length}`);
		expect(row.errorMessage).toContain('the file is kept');
		expect(fs.statSync(p.final(image)).size).toBe(bytes.length + 19);
		expect(actions).toEqual([expect.objectContaining({event: 'recovery.corrupt', id: image.id})]);
		expect(await invariants(p, [image.filePath, path.relative(p.lib.config.imagesDir, p.sidecar(image))])).toEqual([]);
	});

	it('a size mismatch whose digest still matches (the row was wrong) stays complete with the size corrected', async () => {
		const p = prepare();
		const bytes = iso(17);
		const image = await p.makeComplete(p.add(isoUrl()), bytes);
		p.set(image.id, {size_bytes: bytes.length + 1, downloaded_bytes: bytes.length + 1});

		const {report, actions} = await p.recover();

		expect(report.reverified).toEqual([image.id]);
		expect(report.corrupt).toEqual([]);
		expect(p.get(image.id)).toMatchObject({status: 'complete', sizeBytes: bytes.length, downloadedBytes: bytes.length});
		expect(actions).toEqual([expect.objectContaining({event: 'recovery.reverified', id: image.id, was: bytes.length + 1, bytes: bytes.length})]);
		expect(await invariants(p)).toEqual([]);
	});

	it('a same-size change is not re-hashed at start (that is `isoman verify`\'s job): the row stays complete, nothing logged', async () => {
		const p = prepare();
		const bytes = iso(18);
		const image = await p.makeComplete(p.add(isoUrl()), bytes);
		const changed = Buffer.from(bytes);
		changed[changed.length - 1] = 0xff - bytes.at(-1)!;
		fs.writeFileSync(p.final(image), changed);

		const {report, actions} = await p.recover();

		expect(report.reverified).toEqual([]);
		expect(report.corrupt).toEqual([]);
		expect(p.get(image.id).status).toBe('complete');
		expect(actions).toEqual([]);
	});
});

describe('recovery: files no row claims', () => {
	it('reports untracked files under images/ and never deletes or changes them', async () => {
		const p = prepare();
		const image = await p.makeComplete(p.add(isoUrl()), iso(19));
		const images = p.lib.config.imagesDir;
		const mine = [
			'my-own/1/x86_64/my-own-1-x86_64.iso',
			'notes.txt',
			path.join(path.dirname(image.filePath), 'README'),
			// Looks like a sidecar, but of no row.
			path.join(path.dirname(image.filePath), 'other.iso.sha256'),
		];
		for (const [i, relative] of mine.entries()) {
			fs.mkdirSync(path.dirname(path.join(images, relative)), {recursive: true});
			fs.writeFileSync(path.join(images, relative), `user file ${i}`);
		}

		const {report, actions} = await p.recover();

		expect(report.untracked.sort()).toEqual([...mine].sort());
		expect(actions.filter(a => a['event'] === 'recovery.untracked').map(a => a['path']).sort()).toEqual([...mine].sort());
		for (const [i, relative] of mine.entries()) expect(fs.readFileSync(path.join(images, relative), 'utf8')).toBe(`user file ${i}`);
		expect(report.filesDeleted).toEqual([]);
		expect(p.get(image.id).status).toBe('complete');
		expect(await invariants(p, mine)).toEqual([]);

		// Again: still there, still reported, still untouched.
		const again = await p.recover();
		expect(again.report.untracked.sort()).toEqual([...mine].sort());
		for (const relative of mine) expect(fs.existsSync(path.join(images, relative))).toBe(true);
	});
});

describe('recovery: one pass over everything', () => {
	it('handles every case in one library, logs one line per action and one summary, and a second run has nothing to do', async () => {
		const p = prepare();
		const bytes = (seed: number) => iso(seed);
		const downloading = p.add(isoUrl('dl'));
		p.set(downloading.id, {status: 'downloading', downloaded_bytes: 1});
		p.writePart(downloading.id, bytes(20).subarray(0, 12 * KiB));
		const placed = p.add(isoUrl('placed'));
		p.writeFinal(placed, bytes(21));
		p.set(placed.id, {status: 'verifying', checksum: sha256(bytes(21)), checksum_type: 'sha256', size_bytes: bytes(21).length, downloaded_bytes: bytes(21).length});
		const paused = p.add(isoUrl('paused'));
		p.set(paused.id, {status: 'paused', downloaded_bytes: 3});
		const gone = await p.makeComplete(p.add(isoUrl('gone')), bytes(22));
		fs.rmSync(p.final(gone));
		const grown = await p.makeComplete(p.add(isoUrl('grown')), bytes(23));
		fs.appendFileSync(p.final(grown), 'x');
		const fine = await p.makeComplete(p.add(isoUrl('fine')), bytes(24));
		p.writePart(fine.id, bytes(24));
		p.writePart('0123456789ab', bytes(25).subarray(0, KiB));
		fs.writeFileSync(path.join(p.lib.config.imagesDir, 'untracked.iso'), 'mine');

		const {report, actions, summary} = await p.recover();

		expect(summary).toMatchObject({
			requeued: 1,
			completed: 1,
			failed: 0,
			progressReset: 1,
			partsDeleted: 2,
			filesDeleted: 0,
			missing: 1,
			corrupt: 1,
			reverified: 0,
			untracked: 1,
		});
		expect(actions).toHaveLength(8);
		expect(report.requeued).toEqual([downloading.id]);
		expect(report.completed).toEqual([placed.id]);
		expect(report.progressReset).toEqual([paused.id]);
		expect(report.missing).toEqual([gone.id]);
		expect(report.corrupt).toEqual([grown.id]);
		expect(report.untracked).toEqual(['untracked.iso']);
		expect(p.get(fine.id).status).toBe('complete');
		const allowed = ['untracked.iso', grown.filePath, path.relative(p.lib.config.imagesDir, p.sidecar(grown))];
		expect(await invariants(p, allowed)).toEqual([]);

		// Idempotent: a second start (or a start after a crash during recovery) finds nothing left to do.
		const second = await p.recover();
		expect(second.actions.map(a => a['event'])).toEqual(['recovery.untracked']);
	});
});
