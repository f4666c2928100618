/**
 * The command line → positional arguments and flags, with the rules isoman has always parsed by (those of meow and
 * yargs-parser, which this replaces: they were ~45 ms and ~9 MB of every start). Flags are written in kebab case
 * and come back camelCased (`--data-dir` → `dataDir`).
 *  - `--flag=value` and `--flag value`; a string flag with no value (last, or before another flag) is `''`;
 *    a value may be a negative number (`--max-rate -1`), never another flag nor `-`.
 *  - A boolean is `true`; `--no-flag` makes it `false`; `--flag=false` and `--flag false` too (`true` likewise).
 *  - A string flag given twice is an error (ArgvError); a boolean given twice takes the last.
 *  - `-h` is `--help` (single-letter flags may be grouped: `-hx`); `-` and negative numbers are positional;
 *    everything after `--` is positional.
 *  - A flag that is none of these is kept (under its camelCased name) for the caller to refuse.
 */

export type FlagSpec = Record<string, {type: 'string' | 'boolean'; shortFlag?: string}>;

export class ArgvError extends Error {
	override name = 'ArgvError';
}

const camel = (kebab: string) => kebab.replaceAll(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const NEGATIVE_NUMBER = /^-\d/;
const isFlag = (arg: string) => arg.startsWith('-') && arg !== '-' && !NEGATIVE_NUMBER.test(arg);
/** What may follow a string flag as its value: not `-`, not a flag (a negative number may). */
const isValue = (arg: string) => !arg.startsWith('-') || NEGATIVE_NUMBER.test(arg);

/** The flags as typed by their spec (undefined when not given), and any other flag given. */
export type ParsedFlags<S extends FlagSpec> = {[K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string} & Record<string, unknown>;

export function parseArgv<S extends FlagSpec>(argv: readonly string[], spec: S): {input: string[]; flags: ParsedFlags<S>} {
	const flags: Record<string, string | boolean | undefined> = {};
	const input: string[] = [];
	const given = new Set<string>();
	const short = new Map(Object.entries(spec).flatMap(([key, def]) => (def.shortFlag ? [[def.shortFlag, key] as const] : [])));
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === '--') {
			input.push(...argv.slice(i + 1));
			break;
		}

		if (!isFlag(arg)) {
			input.push(arg);
			continue;
		}

		if (!arg.startsWith('--')) {
			for (const letter of arg.slice(1)) flags[short.get(letter) ?? letter] = true;
			const last = short.get(arg.at(-1)!);
			if (last && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) flags[last] = argv[++i] === 'true';
			continue;
		}

		const eq = arg.indexOf('=');
		const name = arg.slice(2, eq < 0 ? undefined : eq);
		const inline = eq < 0 ? undefined : arg.slice(eq + 1);
		let key = camel(name);
		if (!spec[key] && name.startsWith('no-') && spec[camel(name.slice(3))]) {
			key = camel(name.slice(3));
			flags[key] = false;
			given.add(key);
			continue;
		}

		const next = argv[i + 1];
		if (spec[key]?.type === 'boolean') {
			if (inline !== undefined) flags[key] = inline === 'true';
			else if (next === 'true' || next === 'false') flags[key] = argv[++i] === 'true';
			else flags[key] = true;
			continue;
		}

		if (spec[key] && given.has(key)) throw new ArgvError(`The flag --${name} can only be set once.`);
		given.add(key);
		if (inline !== undefined) flags[key] = inline;
		else if (next !== undefined && isValue(next)) flags[key] = argv[++i]!;
		else flags[key] = '';
	}

	return {input, flags: flags as ParsedFlags<S>};
}
