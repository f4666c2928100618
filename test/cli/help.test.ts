/**
 * `isoman --help` and `isoman <cmd> --help` (issue 7 §5): every flag is listed with its default, and every setting
 * with its environment variable. The expected flags come from the tables that also drive parsing (COMMANDS,
 * SETTINGS), and from the flag list source/cli.tsx parses, so a flag added in one place and not the other fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {COMMANDS, DAEMON_FLAGS} from '../../source/commands/spec.js';
import {SETTINGS} from '../../source/config.js';
import {IMAGE_FIELDS, ROOT, runCli} from './helpers.js';

/** The line of `help` that documents `flag` (the flag first on its line, as a whole word). */
function lineOf(help: string, flag: string): string | undefined {
	const escaped = flag.replaceAll(/[-]/g, '\\-');
	return help.split('\n').find(line => new RegExp(`^\\s+${escaped}(\\s|$)`).test(line));
}

function expectSettings(help: string, except: string[] = []) {
	// A command may give a setting's flag its own meaning (add --max-rate is the image's limit): listed once, as its.
	for (const def of Object.values(SETTINGS).filter(d => !except.includes(d.flag))) {
		const line = lineOf(help, def.flag);
		expect(line, `${def.flag} is listed`).toBeDefined();
		expect(line).toContain(`default: ${def.defaultText}`);
		expect(line).toContain(def.env);
	}
}

/** Every long flag cli.tsx parses (its own, and the settings table's), as typed on the command line. */
function parsedFlags(): string[] {
	const source = fs.readFileSync(path.join(ROOT, 'source', 'cli.tsx'), 'utf8');
	const block = source.slice(source.indexOf('const FLAGS = {'), source.indexOf('} as const;'));
	const own = [...block.matchAll(/^\t(\w+): \{type: '(\w+)'/gm)].map(([, name]) => `--${name!.replaceAll(/[A-Z]/g, c => '-' + c.toLowerCase())}`);
	expect(block).toContain('...settingFlags()');
	return [...own, ...Object.values(SETTINGS).map(def => def.flag)];
}

/** `isoman <cmd> --help` of each command, run once. */
const helps = new Map<string, Promise<string>>();
async function helpOf(name: string): Promise<string> {
	let help = helps.get(name);
	if (!help) {
		help = runCli(name === '' ? ['--help'] : [name, '--help']).then(result => {
			expect(result.code).toBe(0);
			return result.stdout;
		});
		helps.set(name, help);
	}

	return help;
}

describe('README', () => {
	it('documents every field of the --json image object', () => {
		const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
		const section = readme.slice(readme.indexOf('### JSON'));
		expect(section.length).toBeLessThan(readme.length);
		for (const field of IMAGE_FIELDS) expect(section, field).toContain(`\`${field}\``);
	});
});

describe('help', () => {
	it('isoman --help lists every command, every flag with its default, and every setting with its environment variable', async () => {
		const help = await helpOf('');
		for (const spec of Object.values(COMMANDS)) expect(help).toContain(spec.usage);
		expectSettings(help);
		for (const f of DAEMON_FLAGS) expect(lineOf(help, f.flag), f.flag).toContain(`default: ${f.default}`);
		for (const flag of ['--help', '--version']) expect(lineOf(help, flag), flag).toMatch(/default: /);
		expect(help).toMatch(/Exit codes: 0 ok, 1 failure, 2 invalid input, 3 already exists/);
	});

	for (const [name, spec] of Object.entries(COMMANDS)) {
		it(`isoman ${name} --help mentions each of its flags with a default, and the global settings`, async () => {
			const help = await helpOf(name);
			expect(help).toContain(`Usage: ${spec.usage}`);
			for (const f of [...spec.flags, {flag: '--help', default: 'off'}]) {
				const line = lineOf(help, f.flag);
				expect(line, `${name}: ${f.flag}`).toBeDefined();
				expect(line).toContain(`default: ${f.default}`);
			}

			expectSettings(help, spec.flags.map(f => f.flag));
			if (spec.exitCodes) expect(help).toContain(`Exit codes: ${spec.exitCodes}`);
		});
	}

	it('every flag the parser accepts is in some help text; add --help names each add flag; --help before the command works too', async () => {
		const everything = (await Promise.all(['', ...Object.keys(COMMANDS)].map(helpOf))).join('\n');
		expect(parsedFlags().length).toBeGreaterThan(20);
		for (const flag of parsedFlags()) expect(everything, flag).toMatch(new RegExp(`^\\s+${flag.replaceAll('-', '\\-')}\\b`, 'm'));
		const add = await helpOf('add');
		for (const flag of ['--name', '--version', '--arch', '--edition', '--checksum-url', '--checksum', '--checksum-type', '--json']) expect(lineOf(add, flag), flag).toBeDefined();
		expect((await runCli(['--help', 'add'])).stdout).toBe(add);
	});
});
