import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {
	archSchema,
	detectFromUrl,
	editionSchema,
	inferFromFilename,
	nameSchema,
	normaliseName,
	PART_PATTERN,
	resolveImageSpec,
	resolveInside,
	versionSchema,
} from '../../source/core/naming.js';
import {IsomanError} from '../../source/core/types.js';
import {
	checkAccepted,
	checkRejection,
	fragmentArb,
	hostileStringArb,
	imageSpecInputArb,
	urlArb,
} from './naming.arbitraries.js';

const ROOT = path.resolve('/srv/isoman-property/images');

describe('resolveImageSpec + resolveInside on random and hostile input', () => {
	test('every accepted path is inside images/ (and not .tmp); every rejection names its field', () => {
		let accepted = 0;
		let rejected = 0;
		fc.assert(
			fc.property(imageSpecInputArb, input => {
				let spec;
				try {
					spec = resolveImageSpec(input);
				} catch (error) {
					checkRejection(error);
					rejected++;
					return;
				}

				checkAccepted(ROOT, spec, resolveInside(ROOT, spec.relativePath));
				accepted++;
			}),
			{numRuns: 10_000},
		);
		// The generator must exercise both sides.
		console.info(`naming property: ${accepted} accepted, ${rejected} rejected`);
		expect(accepted).toBeGreaterThan(1500);
		expect(rejected).toBeGreaterThan(1500);
	});

	test('user-given values that pass the rules are the ones used', () => {
		fc.assert(
			fc.property(imageSpecInputArb, input => {
				let spec;
				try {
					spec = resolveImageSpec(input);
				} catch {
					return;
				}

				if (input.version !== undefined && input.version.trim() !== '') expect(spec.version).toBe(input.version.trim());
				if (input.name !== undefined && input.name.trim() !== '') expect(spec.name).toBe(normaliseName(input.name));
				if (input.edition === null) expect(spec.edition).toBeNull();
				if (typeof input.edition === 'string' && input.edition.trim() !== '') expect(spec.edition).toBe(input.edition.trim());
			}),
			{numRuns: 2000},
		);
	});
});

describe('parts', () => {
	test('normaliseName yields [a-z0-9]+(-[a-z0-9]+)*, ≤ 100, idempotent; or rejects with name:', () => {
		fc.assert(
			fc.property(fc.oneof(hostileStringArb, fc.string({unit: 'grapheme', maxLength: 120})), raw => {
				let name;
				try {
					name = normaliseName(raw);
				} catch (error) {
					checkRejection(error, ['name']);
					return;
				}

				expect(name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
				expect(name.length).toBeLessThanOrEqual(100);
				expect(normaliseName(name)).toBe(name);
			}),
			{numRuns: 3000},
		);
	});

	test('version/arch/edition accept only the part rule, within their limits', () => {
		const cases = [
			['version', versionSchema, 50],
			['arch', archSchema, 20],
			['edition', editionSchema, 50],
		] as const;
		fc.assert(
			fc.property(hostileStringArb, fc.constantFrom(...cases), (raw, [field, schema, max]) => {
				const result = schema.safeParse(raw);
				if (!result.success) {
					expect(result.error.issues[0]?.message.startsWith(`${field}: `)).toBe(true);
					return;
				}

				expect(result.data).toMatch(PART_PATTERN);
				expect(result.data.includes('..')).toBe(false);
				expect(result.data.length).toBeLessThanOrEqual(max);
			}),
			{numRuns: 3000},
		);
	});

	test('inferFromFilename never throws and every part it returns passes its schema', () => {
		fc.assert(
			fc.property(fc.oneof(hostileStringArb, fc.array(fragmentArb, {maxLength: 12}).map(p => p.join(''))), basename => {
				const inferred = inferFromFilename(basename);
				if (inferred.name !== undefined) expect(nameSchema.parse(inferred.name)).toBe(inferred.name);
				if (inferred.version !== undefined) expect(versionSchema.parse(inferred.version)).toBe(inferred.version);
				if (inferred.arch !== undefined) expect(archSchema.parse(inferred.arch)).toBe(inferred.arch);
				if (inferred.edition !== undefined) expect(editionSchema.parse(inferred.edition)).toBe(inferred.edition);
			}),
			{numRuns: 3000},
		);
	});

	test('detectFromUrl returns a supported type or rejects with url:/type:', () => {
		fc.assert(
			fc.property(urlArb, url => {
				let detected;
				try {
					detected = detectFromUrl(url);
				} catch (error) {
					checkRejection(error, ['url', 'type']);
					return;
				}

				expect(detected.fileType).toMatch(/^(?:iso|qcow2|img|raw|vmdk|vdi|vhd|vhdx)(?:\.(?:xz|gz|zst|bz2))?$/);
				expect(detected.compression === null ? detected.fileType : detected.fileType.endsWith(`.${detected.compression}`)).toBeTruthy();
				expect(detected.basename.toLowerCase().endsWith(`.${detected.fileType}`)).toBe(true);
			}),
			{numRuns: 3000},
		);
	});

	test('resolveInside on any relative path: inside images/ and outside .tmp, or an IsomanError about path', () => {
		const relativeArb = fc.oneof(
			hostileStringArb,
			fc.array(fc.oneof(fragmentArb, fc.constantFrom('..', '.', '.tmp', 'a', '')), {maxLength: 6}).map(p => p.join('/')),
		);
		fc.assert(
			fc.property(relativeArb, relative => {
				let absolute;
				try {
					absolute = resolveInside(ROOT, relative);
				} catch (error) {
					expect(error).toBeInstanceOf(IsomanError);
					checkRejection(error, ['path']);
					return;
				}

				const rel = path.relative(ROOT, absolute);
				expect(rel).not.toBe('');
				expect(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)).toBe(false);
				expect(rel.split(path.sep)[0]?.toLowerCase()).not.toBe('.tmp');
			}),
			{numRuns: 3000},
		);
	});
});
