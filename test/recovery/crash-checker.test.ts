/** The invariant checker must see every kind of breakage, or the crash harness proves nothing. */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {prepareAdd} from '../../source/core/add-input.js';
import {openDatabase} from '../../source/core/catalogue/database.js';
import {Catalogue} from '../../source/core/catalogue/repository.js';
import {writeSidecar} from '../../source/core/checksum/index.js';
import {checkLibrary} from '../support/crash-checker.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {generatedBytes} from '../support/server.js';

let lib: TempLibrary | undefined;
let catalogue: Catalogue | undefined;
afterEach(() => {
	catalogue?.close();
	lib?.cleanup();
	lib = undefined;
	catalogue = undefined;
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function setup() {
	lib = tempLibrary();
	fs.mkdirSync(lib.config.tmpDir, {recursive: true});
	catalogue = new Catalogue(openDatabase(lib.config.dbPath));
	const c = catalogue;
	const images = lib.config.imagesDir;
	let n = 0;
	const add = () => c.insert(prepareAdd({url: `https://example.org/os-${++n}.0-x86_64.iso`}));
	const set = (id: string, fields: Record<string, string | number | null>) =>
		c.db.prepare(`UPDATE images SET ${Object.keys(fields).map(k => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({...fields, id});
	const complete = async (bytes: Buffer) => {
		const image = add();
		const file = path.join(images, image.filePath);
		fs.mkdirSync(path.dirname(file), {recursive: true});
		fs.writeFileSync(file, bytes);
		await writeSidecar(path.dirname(file), image.filename, 'sha256', sha256(bytes));
		set(image.id, {status: 'complete', checksum: sha256(bytes), checksum_type: 'sha256', size_bytes: bytes.length, downloaded_bytes: bytes.length});
		return c.get(image.id)!;
	};

	return {config: lib.config, catalogue: c, add, set, complete, images};
}

describe('crash checker', () => {
	it('passes a healthy library and reports each broken invariant', async () => {
		const {config, catalogue: c, add, set, complete, images} = setup();
		const good = await complete(generatedBytes(64 * 1024, 1, 'iso'));
		expect((await checkLibrary(config, {db: c.db})).violations).toEqual([]);

		const changed = await complete(generatedBytes(64 * 1024, 2, 'iso'));
		fs.writeFileSync(path.join(images, changed.filePath), generatedBytes(64 * 1024, 3, 'iso'));
		const noSidecar = await complete(generatedBytes(64 * 1024, 4, 'iso'));
		fs.rmSync(path.join(images, `${noSidecar.filePath}.sha256`));
		const gone = await complete(generatedBytes(64 * 1024, 5, 'iso'));
		fs.rmSync(path.join(images, gone.filePath));
		const stuck = add();
		set(stuck.id, {status: 'downloading', downloaded_bytes: 10});
		fs.writeFileSync(path.join(config.tmpDir, `${stuck.id}.part`), Buffer.alloc(4));
		const failed = add();
		set(failed.id, {status: 'failed', error_code: 'network'});
		fs.writeFileSync(path.join(config.tmpDir, `${failed.id}.part`), 'x');
		fs.writeFileSync(path.join(config.tmpDir, 'nobody.part'), 'x');
		const pending = add();
		fs.mkdirSync(path.dirname(path.join(images, pending.filePath)), {recursive: true});
		fs.writeFileSync(path.join(images, pending.filePath), 'early');
		fs.writeFileSync(path.join(images, 'stray.iso'), 'x');

		const {violations} = await checkLibrary(config, {db: c.db});
		const expected = [
			`${changed.filePath}: sha256`,
			`${noSidecar.id} is complete but its sidecar`,
			`${gone.id} is complete but ${gone.filePath} does not exist`,
			`${stuck.id} (downloading): downloaded_bytes 10 > 4 bytes in its .part`,
			`${stuck.id}: still downloading after recovery`,
			`.tmp/${failed.id}.part: its row ${failed.id} is failed`,
			'.tmp/nobody.part: no row owns it',
			`${pending.filePath}: the image of ${pending.id}, which is pending`,
			'stray.iso: a file no row claims',
		];
		for (const text of expected) expect(violations.some(v => v.includes(text)), `${text}\nin ${violations.join('\n')}`).toBe(true);
		expect(violations).toHaveLength(expected.length);
		expect(violations.join('\n')).not.toContain(good.id);

		// At the instant of a kill, a stuck row is expected; the rest is still wrong.
		const crashed = await checkLibrary(config, {db: c.db, settled: false});
		expect(crashed.violations.some(v => v.includes('still downloading'))).toBe(false);
		expect(crashed.violations).toHaveLength(expected.length - 1);
		// Files a user put there can be allowed.
		const allowed = await checkLibrary(config, {db: c.db, allowedFiles: ['stray.iso']});
		expect(allowed.violations).toHaveLength(expected.length - 1);
	});

	it('before recovery, accepts a verifying row whose right file is already in place (between rename and commit), but not a wrong one', async () => {
		const {config, catalogue: c, add, set, images} = setup();
		const bytes = generatedBytes(64 * 1024, 6, 'iso');
		const image = add();
		const file = path.join(images, image.filePath);
		fs.mkdirSync(path.dirname(file), {recursive: true});
		fs.writeFileSync(file, bytes);
		fs.writeFileSync(path.join(path.dirname(file), `.${image.filename}.sha256.0123456789abcdef.sidecar-tmp`), 'half');
		set(image.id, {status: 'verifying', checksum: sha256(bytes), checksum_type: 'sha256', size_bytes: bytes.length, downloaded_bytes: bytes.length});
		expect((await checkLibrary(config, {db: c.db, settled: false})).violations).toEqual([]);
		// After recovery none of it may remain: the file of a row that is not complete, the temp file, the row itself,
		// and its downloaded_bytes with no .part.
		expect((await checkLibrary(config, {db: c.db})).violations).toHaveLength(4);

		set(image.id, {checksum: sha256(Buffer.from('something else'))});
		expect((await checkLibrary(config, {db: c.db, settled: false})).violations).toEqual([expect.stringContaining(`${image.filePath}: sha256`)]);
	});

	it('opens the catalogue read-only when given no connection (as after a kill)', async () => {
		const {config, catalogue: c} = setup();
		c.close();
		const result = await checkLibrary(config);
		expect(result.violations).toEqual([]);
		expect(result.rows).toEqual([]);
	});
});
