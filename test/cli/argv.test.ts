/**
 * The command-line parser (source/argv.ts): the rules isoman's command line has always followed (they were meow's
 * and yargs-parser's, which it replaced), case by case.
 */
import {describe, expect, it} from 'vitest';
import {ArgvError, parseArgv} from '../../source/argv.js';

const SPEC = {
	json: {type: 'boolean'},
	color: {type: 'boolean'},
	help: {type: 'boolean', shortFlag: 'h'},
	name: {type: 'string'},
	dataDir: {type: 'string'},
	maxRate: {type: 'string'},
} as const;

const parse = (...argv: string[]) => {
	const {input, flags} = parseArgv(argv, SPEC);
	return {input, flags: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))};
};

describe('parseArgv', () => {
	it('camelCases kebab flags, takes values after a space or an =, and keeps positionals in order', () => {
		expect(parse('add', 'http://x/a.iso', '--name', 'a b', '--data-dir=/d=e', 'more')).toEqual({input: ['add', 'http://x/a.iso', 'more'], flags: {name: 'a b', dataDir: '/d=e'}});
	});

	it('booleans: true when given, false with --no-, and an explicit true/false (inline or next) is read', () => {
		expect(parse('--json').flags).toEqual({json: true});
		expect(parse('--no-color').flags).toEqual({color: false});
		expect(parse('--json=false').flags).toEqual({json: false});
		expect(parse('--json=xyz').flags).toEqual({json: false});
		expect(parse('--json', 'false', 'x')).toEqual({input: ['x'], flags: {json: false}});
		expect(parse('-h', 'true').flags).toEqual({help: true});
		// A boolean given twice takes the last.
		expect(parse('--json', '--no-json').flags).toEqual({json: false});
	});

	it('not given stays undefined (so the environment or the default applies)', () => {
		const {flags} = parseArgv(['list'], SPEC);
		expect(flags.json).toBeUndefined();
		expect(flags.name).toBeUndefined();
	});

	it('a string flag without a value is empty; a value may be a negative number but not a flag nor -', () => {
		expect(parse('--name').flags).toEqual({name: ''});
		expect(parse('--name', '--json').flags).toEqual({name: '', json: true});
		expect(parse('--name=', 'x')).toEqual({input: ['x'], flags: {name: ''}});
		expect(parse('--max-rate', '-1').flags).toEqual({maxRate: '-1'});
		expect(parse('--data-dir', '-')).toEqual({input: ['-'], flags: {dataDir: ''}});
	});

	it('a string flag given twice is an error', () => {
		expect(() => parseArgv(['--name=a', '--name', 'b'], SPEC)).toThrow(new ArgvError('The flag --name can only be set once.'));
		expect(() => parseArgv(['--data-dir', 'a', '--data-dir', 'b'], SPEC)).toThrow('--data-dir can only be set once');
	});

	it('short flags, -, negative numbers and everything after -- ', () => {
		expect(parse('-h').flags).toEqual({help: true});
		expect(parse('-hx').flags).toEqual({help: true, x: true});
		expect(parse('limit', '-5', '-', '-0.5')).toEqual({input: ['limit', '-5', '-', '-0.5'], flags: {}});
		expect(parse('a', '--', '--json', '-h')).toEqual({input: ['a', '--json', '-h'], flags: {}});
	});

	it('keeps an unknown flag (the caller refuses it by name), with the value after it', () => {
		expect(parse('--unknown', 'v', 'pos')).toEqual({input: ['pos'], flags: {unknown: 'v'}});
	});
});
