import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {DuplicateImageError} from '../../source/core/catalogue/repository.js';
import {silentLogger} from '../../source/core/log.js';
import {Manager} from '../../source/core/manager.js';
import {finalPathFor} from '../../source/core/paths.js';
import {IsomanError} from '../../source/core/types.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';
import {checkRejection, imageSpecInputArb} from './naming.arbitraries.js';

let lib: TempLibrary;
let manager: Manager;
beforeAll(() => {
	lib = tempLibrary();
	manager = new Manager({config: lib.config, log: silentLogger});
	// Thousands of inserts: durability is not what this test is about.
	manager.catalogue.db.pragma('synchronous = OFF');
});
afterAll(async () => {
	await manager.close();
	lib.cleanup();
});

describe('manager.add on random and hostile input', () => {
	test('10,000 inputs: every accepted image lies inside images/, every rejection names its field, and rejections write nothing', () => {
		let accepted = 0;
		let rejected = 0;
		const imagesRoot = path.resolve(lib.config.imagesDir);
		const count = manager.catalogue.db.prepare('SELECT count(*) FROM images').pluck();
		fc.assert(
			fc.property(imageSpecInputArb, input => {
				const before = count.get();
				let image;
				try {
					image = manager.addNow(input);
				} catch (error) {
					if (error instanceof DuplicateImageError) return;
					checkRejection(error, ['url', 'name', 'version', 'arch', 'edition', 'type', 'checksum', 'checksum_url', 'checksum_type', 'path']);
					expect(error).toBeInstanceOf(IsomanError);
					expect(count.get()).toBe(before);
					rejected++;
					return;
				}

				const absolute = finalPathFor(lib.config, image);
				const relative = path.relative(imagesRoot, absolute);
				expect(relative.startsWith('..') || path.isAbsolute(relative)).toBe(false);
				expect(relative.split(path.sep)[0]).not.toBe('.tmp');
				expect(image.filePath.split('/')).toHaveLength(4);
				accepted++;
			}),
			{numRuns: 10_000},
		);
		expect(accepted).toBeGreaterThan(1000);
		expect(rejected).toBeGreaterThan(1000);
		// Adding writes rows, never files.
		expect(fs.readdirSync(lib.dir).filter(f => f === 'images')).toEqual([]);
	});
});
