/** The serving settings: --listen, --cors-origin, --max-connections, --verify-every, --verify-rate. */
import {describe, expect, it} from 'vitest';
import {ConfigError, loadConfig} from '../../source/config.js';

const load = (flags: Record<string, unknown>, env: Record<string, string> = {}) => loadConfig(flags, env, '/cwd');

describe('serving settings', () => {
	it('are off by default: no server, no CORS, no scrub, 50 MB/s, 256 connections', () => {
		const config = load({});
		expect(config.listen).toBeNull();
		expect(config.corsOrigin).toEqual([]);
		expect(config.verifyEvery).toBeNull();
		expect(config.verifyRate).toBe(50_000_000);
		expect(config.maxConnections).toBe(256);
	});

	it.each([
		['8080', {host: '127.0.0.1', port: 8080}],
		['0.0.0.0:8080', {host: '0.0.0.0', port: 8080}],
		['localhost:0', {host: 'localhost', port: 0}],
		['[::1]:9000', {host: '::1', port: 9000}],
		[' 127.0.0.1:80 ', {host: '127.0.0.1', port: 80}],
	])('--listen %s', (value, expected) => {
		expect(load({listen: value}).listen).toEqual(expected);
		expect(load({}, {ISOMAN_LISTEN: value}).listen).toEqual(expected);
	});

	it.each([
		[{listen: '70000'}, '--listen=70000: the port must be 0..65535'],
		[{listen: 'host:'}, '--listen=host:: must be [HOST:]PORT'],
		[{listen: 'http://x:80'}, '--listen=http://x:80: must be [HOST:]PORT'],
		[{listen: '::1:80'}, '--listen=::1:80: must be [HOST:]PORT'],
		[{corsOrigin: 'example.org'}, '--cors-origin=example.org: "example.org" is not an origin'],
		[{corsOrigin: 'https://a.example/path'}, 'is not an origin'],
		[{verifyEvery: '7'}, '--verify-every=7: must be a duration like 30m, 12h or 7d'],
		[{verifyEvery: '400d'}, 'must be a duration'],
		[{verifyRate: 'fast'}, '--verify-rate=fast: must be a rate like 50 (MB/s)'],
		[{verifyRate: '0'}, 'must be a rate'],
		[{maxConnections: '0'}, '--max-connections=0: must be 1..10000'],
	])('refuses %o with the setting, the value and the rule', (flags, message) => {
		expect(() => load(flags)).toThrow(ConfigError);
		expect(() => load(flags)).toThrow(message);
	});

	it('parses origins, durations and rates', () => {
		expect(load({corsOrigin: 'https://a.example, http://b.example:8080'}).corsOrigin).toEqual(['https://a.example', 'http://b.example:8080']);
		expect(load({corsOrigin: '*'}).corsOrigin).toEqual(['*']);
		expect(load({verifyEvery: '7d'}).verifyEvery).toBe(7 * 86_400);
		expect(load({verifyEvery: '90s'}).verifyEvery).toBe(90);
		expect(load({verifyEvery: '12h'}).verifyEvery).toBe(43_200);
		expect(load({verifyEvery: 'off'}).verifyEvery).toBeNull();
		expect(load({}, {ISOMAN_VERIFY_EVERY: '30m'}).verifyEvery).toBe(1800);
		expect(load({verifyRate: '200'}).verifyRate).toBe(200_000_000);
		expect(load({verifyRate: '1GB/s'}).verifyRate).toBe(1_000_000_000);
		expect(load({verifyRate: '500KB/s'}).verifyRate).toBe(500_000);
		expect(load({verifyRate: '2.5M'}).verifyRate).toBe(2_500_000);
	});
});
