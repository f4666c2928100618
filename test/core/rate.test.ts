import {describe, expect, it} from 'vitest';
import {formatRateLimit, parseRate, tryParseRate} from '../../source/core/rate.js';
import {loadConfig} from '../../source/config.js';
import {prepareAdd} from '../../source/core/add-input.js';

describe('rate parsing (as curl --limit-rate reads it)', () => {
	it('reads bytes per second with K, M, G, T suffixes, 1024-based, either case', () => {
		expect(tryParseRate('0')).toBe(0);
		expect(tryParseRate('1000')).toBe(1000);
		expect(tryParseRate('500K')).toBe(500 * 1024);
		expect(tryParseRate('500k')).toBe(500 * 1024);
		expect(tryParseRate('2M')).toBe(2 * 1024 ** 2);
		expect(tryParseRate('1G')).toBe(1024 ** 3);
		expect(tryParseRate('1T')).toBe(1024 ** 4);
		expect(tryParseRate('1.5M')).toBe(1.5 * 1024 ** 2);
		expect(tryParseRate(' 20M ')).toBe(20 * 1024 ** 2);
		expect(tryParseRate('2MB')).toBe(2 * 1024 ** 2);
		expect(tryParseRate('2MiB/s')).toBe(2 * 1024 ** 2);
		expect(tryParseRate('none')).toBe(0);
	});

	it('refuses anything else, with the rule in the message', () => {
		for (const bad of ['', ' ', 'fast', '-1', '2X', '2 M B', '1e6', '0x10', 'M', '2MM', '1.', '.5M', '2K5', '9'.repeat(40), '2T1', '2000T', '0.0000001K']) {
			expect(tryParseRate(bad), JSON.stringify(bad)).toBeUndefined();
		}

		expect(() => parseRate('fast', 'rate')).toThrow(/rate: "fast" must be a rate in bytes per second such as 500K, 2M or 1G/);
	});

	it('is linear on hostile input', () => {
		const started = performance.now();
		for (let i = 0; i < 100; i++) tryParseRate('1'.repeat(10_000) + 'x');
		expect(performance.now() - started).toBeLessThan(2000);
	});

	it('formats limits for people', () => {
		expect(formatRateLimit(0)).toBe('none');
		expect(formatRateLimit(null)).toBe('none');
		expect(formatRateLimit(20 * 1024 ** 2)).toBe('20 MiB/s');
		expect(formatRateLimit(1536)).toBe('1.50 KiB/s');
		expect(formatRateLimit(20_000_000)).toBe('19.1 MiB/s');
	});

	it('is the --max-rate / ISOMAN_MAX_RATE setting, with a clear error', () => {
		expect(loadConfig({dataDir: '/tmp/x'}, {}).maxRate).toBe(0);
		expect(loadConfig({dataDir: '/tmp/x', maxRate: '2M'}, {}).maxRate).toBe(2 * 1024 ** 2);
		expect(loadConfig({dataDir: '/tmp/x'}, {ISOMAN_MAX_RATE: '500K'}).maxRate).toBe(500 * 1024);
		expect(() => loadConfig({dataDir: '/tmp/x', maxRate: 'quick'}, {})).toThrow('--max-rate=quick: must be a rate in bytes per second');
		expect(() => loadConfig({dataDir: '/tmp/x'}, {ISOMAN_MAX_RATE: '-5'})).toThrow('ISOMAN_MAX_RATE=-5: must be a rate');
	});

	it('is the per-image limit of add (0 = none), refused by name when invalid', () => {
		const url = 'https://example.org/alpine-standard-3.20.3-x86_64.iso';
		expect(prepareAdd({url, maxRate: '2M'}).maxRate).toBe(2 * 1024 ** 2);
		expect(prepareAdd({url, maxRate: '0'}).maxRate).toBeNull();
		expect(prepareAdd({url}).maxRate).toBeNull();
		expect(() => prepareAdd({url, maxRate: 'lots'})).toThrow(/max_rate: "lots" must be a rate/);
	});
});
