import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseArgv as parseCommandLine} from '../../source/argv.js';
import {ConfigError, loadConfig, SETTINGS, settingFlags, settingsArgs, settingsEnv, settingsFromArgv, settingsHelp} from '../../source/config.js';

/** Parse `argv` as cli.tsx does (the settings' flags from the table). */
function parseArgv(argv: string[]) {
	return parseCommandLine(argv, settingFlags()).flags;
}

describe('config', () => {
	it('the command line of a background daemon carries every setting as resolved, booleans either way', () => {
		for (const given of [
			{dataDir: '/lib', concurrency: 5, perHost: 1, stallTimeout: 9, logLevel: 'debug', logFormat: 'text', noColor: true, ascii: true, lowBandwidth: false, listen: '0.0.0.0:8080', corsOrigin: 'https://a.example,https://b.example:8443', maxConnections: 10, verifyEvery: '12h', verifyRate: '1.5GB/s', apiToken: 'abcdefghijklmnopqrstuvwxyz', auth: 'all', webRoot: '/srv/web'},
			{dataDir: '/other', noColor: false, ascii: false, lowBandwidth: true, listen: '[::1]:0', verifyRate: '500KB/s'},
			{dataDir: '/defaults'},
		]) {
			const config = loadConfig(given, {}, '/cwd');
			// Read back by the command-line parser and the same table, with an environment that says otherwise: the flags win.
			const env = {ISOMAN_CONCURRENCY: '30', ISOMAN_ASCII: String(!config.ascii), ISOMAN_NO_COLOR: String(!config.noColor), NO_COLOR: '1'};
			// Secrets (the API token) go in the environment, never on the command line.
			const args = settingsArgs(config);
			expect(args.join(' ')).not.toContain('api-token');
			expect(loadConfig(settingsFromArgv(parseArgv(args)), {...env, ...settingsEnv(config)}, '/elsewhere')).toEqual(config);
		}
	});

	it('reads every setting from its flag; --no-color sets noColor; nothing given is undefined', () => {
		expect(settingsFromArgv(parseArgv(['--per-host', '4', '--no-color', '--ascii']))).toMatchObject({perHost: '4', noColor: true, ascii: true, concurrency: undefined, lowBandwidth: undefined});
		expect(settingsFromArgv(parseArgv(['--color'])).noColor).toBe(false);
		expect(Object.keys(settingsFromArgv({})).sort()).toEqual(Object.keys(SETTINGS).sort());
	});

	it('uses defaults when nothing is given', () => {
		const config = loadConfig({}, {HOME: '/home/u', XDG_DATA_HOME: '/xdg'}, '/cwd');
		expect(config.dataDir).toBe('/xdg/isoman');
		expect(config.imagesDir).toBe('/xdg/isoman/images');
		expect(config.tmpDir).toBe('/xdg/isoman/images/.tmp');
		expect(config.dbPath).toBe('/xdg/isoman/isoman.db');
		expect(config.concurrency).toBe(3);
		expect(config.perHost).toBe(2);
		expect(config.stallTimeout).toBe(30);
		expect(config.logLevel).toBe('info');
		expect(config.noColor).toBe(false);
	});

	it('ignores a relative XDG_DATA_HOME (the spec says it must be absolute)', () => {
		const config = loadConfig({}, {XDG_DATA_HOME: 'rel'}, '/cwd');
		expect(config.dataDir.endsWith(path.join('.local', 'share', 'isoman'))).toBe(true);
	});

	it('flags beat environment beat defaults', () => {
		const env = {ISOMAN_CONCURRENCY: '5', ISOMAN_PER_HOST: '4', ISOMAN_DATA_DIR: '/env'};
		const config = loadConfig({concurrency: 7}, env, '/cwd');
		expect(config.concurrency).toBe(7);
		expect(config.perHost).toBe(4);
		expect(config.dataDir).toBe('/env');
		expect(loadConfig({dataDir: 'lib'}, env, '/cwd').dataDir).toBe('/cwd/lib');
	});

	it.each([
		[{}, {ISOMAN_CONCURRENCY: '0'}, 'ISOMAN_CONCURRENCY=0: must be 1..32'],
		[{}, {ISOMAN_CONCURRENCY: 'lots'}, 'ISOMAN_CONCURRENCY=lots: must be a whole number 1..32'],
		[{concurrency: 33}, {}, '--concurrency=33: must be 1..32'],
		[{perHost: 1.5}, {}, '--per-host=1.5: must be a whole number 1..16'],
		[{}, {ISOMAN_STALL_TIMEOUT: '0'}, 'ISOMAN_STALL_TIMEOUT=0: must be 1..3600'],
		[{}, {ISOMAN_LOG_LEVEL: 'loud'}, 'ISOMAN_LOG_LEVEL=loud: must be one of debug, info, warn, error'],
		[{}, {ISOMAN_ASCII: 'maybe'}, 'ISOMAN_ASCII=maybe: must be true or false (1/0, yes/no)'],
		[{dataDir: ''}, {}, '--data-dir=: must not be empty'],
	])('rejects %o %o with "%s"', (flags, env, message) => {
		expect(() => loadConfig(flags, env, '/cwd')).toThrow(ConfigError);
		expect(() => loadConfig(flags, env, '/cwd')).toThrow(message);
	});

	it('honours NO_COLOR unless a flag or ISOMAN_NO_COLOR says otherwise', () => {
		expect(loadConfig({}, {NO_COLOR: '1'}).noColor).toBe(true);
		expect(loadConfig({}, {NO_COLOR: ''}).noColor).toBe(false);
		expect(loadConfig({noColor: false}, {NO_COLOR: '1'}).noColor).toBe(false);
		expect(loadConfig({}, {NO_COLOR: '1', ISOMAN_NO_COLOR: '0'}).noColor).toBe(false);
	});

	it('help lists every setting with its default and environment variable', () => {
		const help = settingsHelp().join('\n');
		for (const def of Object.values(SETTINGS)) {
			expect(help).toContain(def.flag);
			expect(help).toContain(def.env);
			expect(help).toContain(`default: ${def.defaultText}`);
		}
	});
});

describe('README', () => {
	it('documents every setting exactly as the settings table says', async () => {
		const {readFileSync} = await import('node:fs');
		const {settingsMarkdown} = await import('../../source/config.js');
		const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
		const section = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme)?.[1];
		expect(section).toBe(settingsMarkdown());
	});
});
