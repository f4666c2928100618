import {describe, expect, it} from 'vitest';
import {loadConfig} from '../../source/config.js';
import {isUtf8Locale, uiOptionsFrom} from '../../source/ui/ui-options.js';

const config = (env: NodeJS.ProcessEnv, flags: Record<string, unknown> = {}) => loadConfig({dataDir: '/tmp/x', ...flags}, env);

describe('uiOptionsFrom', () => {
	it('drops colours for NO_COLOR and --no-color', () => {
		expect(uiOptionsFrom(config({}), {LANG: 'en_US.UTF-8'}).color).toBe(true);
		expect(uiOptionsFrom(config({NO_COLOR: '1'}), {LANG: 'en_US.UTF-8'}).color).toBe(false);
		expect(uiOptionsFrom(config({}, {noColor: true}), {LANG: 'en_US.UTF-8'}).color).toBe(false);
	});

	it('draws ASCII with --ascii or when the locale is not UTF-8 (LC_ALL, then LC_CTYPE, then LANG)', () => {
		expect(uiOptionsFrom(config({}), {LANG: 'en_US.UTF-8'}).ascii).toBe(false);
		expect(uiOptionsFrom(config({}, {ascii: true}), {LANG: 'en_US.UTF-8'}).ascii).toBe(true);
		expect(isUtf8Locale({LANG: 'C'})).toBe(false);
		expect(isUtf8Locale({})).toBe(false);
		expect(isUtf8Locale({LC_ALL: 'C', LANG: 'en_US.UTF-8'})).toBe(false);
		expect(isUtf8Locale({LC_CTYPE: 'de_DE.utf8', LANG: 'C'})).toBe(true);
	});

	it('uses fewer frames, fewer snapshots and no spinners over SSH or with --low-bandwidth', () => {
		const local = uiOptionsFrom(config({}), {LANG: 'C.UTF-8'});
		expect(local).toMatchObject({lowBandwidth: false, spinners: true, snapshotsPerSecond: 10, progressPerSecond: 10});
		const ssh = uiOptionsFrom(config({}), {LANG: 'C.UTF-8', SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22'});
		expect(ssh).toMatchObject({lowBandwidth: true, spinners: false, snapshotsPerSecond: 4, progressPerSecond: 1});
		expect(ssh.maxFps).toBeLessThan(local.maxFps);
		expect(uiOptionsFrom(config({}, {lowBandwidth: true}), {LANG: 'C.UTF-8'}).lowBandwidth).toBe(true);
	});
});
