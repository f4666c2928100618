/**
 * Every setting isoman has, in one table, each validated by its own small parser (core/rule.ts).
 * Precedence: command-line flags > ISOMAN_* environment > defaults. Validated once, at start.
 * The same table generates `--help` text and the README's settings table.
 */
import os from 'node:os';
import path from 'node:path';
import {RATE_RULE, tryParseRate} from './core/rate.js';
import {expectString, refuse, RuleError} from './core/rule.js';
import {TEMP_DIR} from './core/naming.js';

type SettingDef = {
	/** Flag name as typed: `--data-dir`. */
	flag: string;
	env: string;
	description: string;
	/** Parses a raw string (from env or argv) or a typed value (a boolean flag) into the setting's value; throws RuleError. */
	parse: (value: unknown) => unknown;
	/** Default shown in help. */
	defaultText: string;
	kind: 'number' | 'string' | 'boolean';
	/**
	 * The value as a command-line argument that parses back to it (default: String(value)); null leaves the flag
	 * out, so the default applies. Needed where the schema turns the text into something else.
	 */
	arg?: (value: never) => string | null;
	/** Never on a command line (others can read it in `ps`): handed to a background daemon in its environment. */
	secret?: true;
};

/** How a setting is read from the parsed flags (argv.ts): its camelCase key, and for `--no-x` the key `x`, inverted. */
function argvKeyOf(def: SettingDef): {key: string; negated: boolean} {
	const negated = def.flag.startsWith('--no-');
	const bare = def.flag.slice(negated ? 5 : 2);
	return {key: bare.replaceAll(/-([a-z])/g, (_, c: string) => c.toUpperCase()), negated};
}

/** A whole number min..max; a string of digits is read as one; `fallback` when not given. */
const int = (min: number, max: number, fallback: number) => (value: unknown): number => {
	const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : (value === undefined ? fallback : value);
	if (typeof n !== 'number' || !Number.isSafeInteger(n)) return refuse(`must be a whole number ${min}..${max}`);
	return n < min || n > max ? refuse(`must be ${min}..${max}`) : n;
};

/** true/false, or as text 1/0, yes/no, on/off, true/false (empty: false); false when not given. */
function bool(value: unknown): boolean {
	if (value === undefined) return false;
	if (typeof value === 'string') {
		const v = value.trim().toLowerCase();
		if (['1', 'true', 'yes', 'on'].includes(v)) return true;
		if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
	}

	return typeof value === 'boolean' ? value : refuse('must be true or false (1/0, yes/no)');
}

/** One of `values` exactly; `fallback` when not given. */
const oneOf = <const T extends string>(values: readonly T[], rule: string, fallback: T) => (value: unknown): T =>
	value === undefined ? fallback : (values as readonly unknown[]).includes(value) ? (value as T) : refuse(rule);

/** A path or other text: trimmed, not empty, no NUL. */
function text(value: unknown): string {
	const s = expectString(value).trim();
	if (s === '') return refuse('must not be empty');
	return s.includes('\0') ? refuse('must not contain NUL') : s;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
	const xdg = env['XDG_DATA_HOME'];
	const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'share');
	return path.join(base, 'isoman');
}

export const SETTINGS = {
	dataDir: {
		flag: '--data-dir',
		env: 'ISOMAN_DATA_DIR',
		description: 'Library directory (catalogue, log, images/)',
		parse: text,
		defaultText: '$XDG_DATA_HOME/isoman or ~/.local/share/isoman',
		kind: 'string',
	},
	concurrency: {
		flag: '--concurrency',
		env: 'ISOMAN_CONCURRENCY',
		description: 'Downloads running at once',
		parse: int(1, 32, 3),
		defaultText: '3',
		kind: 'number',
	},
	perHost: {
		flag: '--per-host',
		env: 'ISOMAN_PER_HOST',
		description: 'Downloads running at once from one host',
		parse: int(1, 16, 2),
		defaultText: '2',
		kind: 'number',
	},
	stallTimeout: {
		flag: '--stall-timeout',
		env: 'ISOMAN_STALL_TIMEOUT',
		description: 'Seconds without a byte before a connection is dropped and resumed',
		parse: int(1, 3600, 30),
		defaultText: '30',
		kind: 'number',
	},
	retries: {
		flag: '--retries',
		env: 'ISOMAN_RETRIES',
		description: 'Attempts without progress before a download fails',
		parse: int(0, 100, 8),
		defaultText: '8',
		kind: 'number',
	},
	retryBaseMs: {
		flag: '--retry-base-ms',
		env: 'ISOMAN_RETRY_BASE_MS',
		description: 'First retry backoff in ms (doubles each attempt, full jitter)',
		parse: int(1, 600_000, 1000),
		defaultText: '1000',
		kind: 'number',
	},
	retryMaxMs: {
		flag: '--retry-max-ms',
		env: 'ISOMAN_RETRY_MAX_MS',
		description: 'Longest retry backoff in ms',
		parse: int(1, 3_600_000, 60_000),
		defaultText: '60000',
		kind: 'number',
	},
	maxRate: {
		flag: '--max-rate',
		env: 'ISOMAN_MAX_RATE',
		description: 'Bandwidth limit for all downloads together, in bytes/s as curl takes it (500K, 2M, 1G; K = 1024); 0 = none. `isoman limit RATE` changes it while isoman runs',
		parse(value: unknown): number {
			const rate = typeof value === 'string' ? (tryParseRate(value) ?? value) : (value === undefined ? 0 : value);
			return typeof rate === 'number' && Number.isSafeInteger(rate) && rate >= 0 ? rate : refuse(RATE_RULE);
		},
		defaultText: '0',
		kind: 'string',
	},
	logLevel: {
		flag: '--log-level',
		env: 'ISOMAN_LOG_LEVEL',
		description: 'debug, info, warn or error',
		parse: oneOf(['debug', 'info', 'warn', 'error'], 'must be one of debug, info, warn, error', 'info'),
		defaultText: 'info',
		kind: 'string',
	},
	logFormat: {
		flag: '--log-format',
		env: 'ISOMAN_LOG_FORMAT',
		description: 'Log file format: json (NDJSON) or text',
		parse: oneOf(['json', 'text'], 'must be json or text', 'json'),
		defaultText: 'json',
		kind: 'string',
	},
	noColor: {
		flag: '--no-color',
		env: 'ISOMAN_NO_COLOR',
		description: 'No colours (bold and inverse stay); NO_COLOR is honoured too',
		parse: bool,
		defaultText: 'false',
		kind: 'boolean',
	},
	ascii: {
		flag: '--ascii',
		env: 'ISOMAN_ASCII',
		description: 'ASCII bars and borders (automatic when the locale is not UTF-8)',
		parse: bool,
		defaultText: 'false',
		kind: 'boolean',
	},
	requireSignature: {
		flag: '--require-signature',
		env: 'ISOMAN_REQUIRE_SIGNATURE',
		description: 'An image whose checksum file (or file) is not signed by a keyring key fails',
		parse: bool,
		defaultText: 'false',
		kind: 'boolean',
	},
	lowBandwidth: {
		flag: '--low-bandwidth',
		env: 'ISOMAN_LOW_BANDWIDTH',
		description: 'Fewer frames and no spinners (automatic over SSH)',
		parse: bool,
		defaultText: 'false',
		kind: 'boolean',
	},
	notify: {
		flag: '--notify',
		env: 'ISOMAN_NOTIFY',
		description: 'When a download completes or fails, the TUI rings the terminal bell (bell) or sends a desktop notification (osc9); off: neither',
		parse: (value: unknown) => oneOf(['off', 'bell', 'osc9'], 'must be off, bell or osc9', 'off')(value === '' ? undefined : typeof value === 'string' ? value.trim().toLowerCase() : value),
		defaultText: 'off',
		kind: 'string',
	},
	listen: {
		flag: '--listen',
		env: 'ISOMAN_LISTEN',
		description: 'Serve the library over HTTP on [HOST:]PORT (HOST 127.0.0.1 unless given; 0.0.0.0:8080 for the LAN)',
		parse: (value: unknown): ListenAddress | null => (value === undefined || value === '' ? null : parseListen(expectString(value))),
		defaultText: 'off',
		kind: 'string',
		arg: (value: ListenAddress | null) => (value === null ? null : `${value.host.includes(':') ? `[${value.host}]` : value.host}:${value.port}`),
	},
	corsOrigin: {
		flag: '--cors-origin',
		env: 'ISOMAN_CORS_ORIGIN',
		description: 'Origins allowed to read the HTTP server from a web page, comma-separated (none: no CORS headers)',
		parse: (value: unknown) => parseOrigins(expectString(value === undefined ? '' : value)),
		defaultText: 'none',
		kind: 'string',
		arg: (value: string[]) => (value.length === 0 ? null : value.join(',')),
	},
	maxConnections: {
		flag: '--max-connections',
		env: 'ISOMAN_MAX_CONNECTIONS',
		description: 'HTTP connections open at once; more get 503',
		parse: int(1, 10_000, 256),
		defaultText: '256',
		kind: 'number',
	},
	verifyEvery: {
		flag: '--verify-every',
		env: 'ISOMAN_VERIFY_EVERY',
		description: 'Re-hash each complete image about once per this period (30m, 12h, 7d; off)',
		parse: (value: unknown) => parseDuration(expectString(value === undefined ? 'off' : value)),
		defaultText: 'off',
		kind: 'string',
		arg: (value: number | null) => (value === null ? 'off' : `${value}s`),
	},
	verifyRate: {
		flag: '--verify-rate',
		env: 'ISOMAN_VERIFY_RATE',
		description: 'Read rate of the scheduled re-hash, in MB/s (e.g. 50, 200MB/s, 1GB/s)',
		parse: (value: unknown) => parseRate(typeof value === 'number' || typeof value === 'string' ? value : value === undefined ? '50' : refuse('Invalid input')),
		defaultText: '50 MB/s',
		kind: 'string',
		arg: (value: number) => `${value / 1000}k`,
	},
	apiToken: {
		flag: '--api-token',
		env: 'ISOMAN_API_TOKEN',
		description: 'Bearer token the HTTP API requires for changes (at least 16 characters); without it, <data>/api-token (made on the first --listen start)',
		parse(value: unknown): string | undefined {
			if (value === undefined) return undefined;
			const s = expectString(value).trim();
			if (s !== '' && s.length < 16) return refuse('must be at least 16 characters');
			return /^[\x21-\x7e]*$/.test(s) ? s : refuse('must be printable ASCII without spaces');
		},
		defaultText: 'the contents of <data>/api-token',
		kind: 'string',
		secret: true,
	},
	auth: {
		flag: '--auth',
		env: 'ISOMAN_AUTH',
		description: 'Which HTTP API requests need the token: changes (POST, PUT, DELETE), all (reads of /api/ and /ws too), or none (trusted networks only)',
		parse: oneOf(['changes', 'all', 'none'], 'must be one of changes, all, none', 'changes'),
		defaultText: 'changes',
		kind: 'string',
	},
	webRoot: {
		flag: '--web-root',
		env: 'ISOMAN_WEB_ROOT',
		description: 'Serve a static web app from this directory at / (e.g. ISOMan\'s built web UI)',
		parse: (value: unknown) => (value === undefined ? undefined : text(value)),
		defaultText: 'none',
		kind: 'string',
	},
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;

/** Every setting's value (typed by its schema), plus the paths resolved from the data directory. */
export type Config = {-readonly [K in SettingKey]: ReturnType<(typeof SETTINGS)[K]['parse']>} & {
	/** Absolute. */
	dataDir: string;
	/** `<dataDir>/images` */
	imagesDir: string;
	/** `<dataDir>/images/.tmp` (the name is TEMP_DIR) */
	tmpDir: string;
	dbPath: string;
	logPath: string;
	/** `<dataDir>/keys`: the OpenPGP keyring, one armored public key per file named by its fingerprint. */
	keysDir: string;
};

/** The flag definitions of the settings (argv.ts) (numbers are read as strings: the schema parses them). */
export function settingFlags(): Record<string, {type: 'string' | 'boolean'}> {
	return Object.fromEntries(
		Object.values(SETTINGS).map((def: SettingDef) => [argvKeyOf(def).key, {type: def.kind === 'boolean' ? ('boolean' as const) : ('string' as const)}]),
	);
}

/** The settings given on the command line, from the parsed flags (undefined = not given). */
export function settingsFromArgv(flags: Record<string, unknown>): Partial<Record<SettingKey, unknown>> {
	const values: Partial<Record<SettingKey, unknown>> = {};
	for (const [key, def] of Object.entries(SETTINGS) as Array<[SettingKey, SettingDef]>) {
		const {key: argvKey, negated} = argvKeyOf(def);
		const value = flags[argvKey];
		values[key] = value === undefined ? undefined : negated ? !value : value;
	}

	return values;
}

/** The environment that carries the secret settings (settingsArgs leaves them out) to another isoman process. */
export function settingsEnv(config: Config): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, def] of Object.entries(SETTINGS) as Array<[SettingKey, SettingDef]>) {
		const value = config[key];
		if (def.secret && value !== undefined) env[def.env] = String(value);
	}

	return env;
}

/**
 * The command line that gives another isoman process (a background daemon) exactly this configuration: every
 * setting, as resolved here (secrets go in its environment: settingsEnv).
 */
export function settingsArgs(config: Config): string[] {
	const out: string[] = [];
	for (const [key, def] of Object.entries(SETTINGS) as Array<[SettingKey, SettingDef]>) {
		const value = config[key];
		const {negated} = argvKeyOf(def);
		if (def.secret || value === undefined) continue;
		if (def.kind !== 'boolean') {
			const text = def.arg ? def.arg(value as never) : String(value);
			if (text !== null) out.push(def.flag, text);
		} else if (value) out.push(def.flag);
		else out.push(negated ? `--${def.flag.slice(5)}` : `--no-${def.flag.slice(2)}`);
	}

	return out;
}

export type ListenAddress = {host: string; port: number};

/** `[HOST:]PORT`, `[::1]:8080`; HOST defaults to 127.0.0.1; PORT 0 picks a free port. */
export function parseListen(raw: string): ListenAddress {
	const fail = refuse;
	const text = raw.trim();
	const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):)?(\d{1,5})$/.exec(text);
	if (!match) return fail('must be [HOST:]PORT, e.g. 8080, 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080');
	const port = Number(match[3]);
	if (port > 65_535) return fail('the port must be 0..65535');
	return {host: match[1] ?? match[2] ?? '127.0.0.1', port};
}

function parseOrigins(raw: string): string[] {
	const origins: string[] = [];
	for (const part of raw.split(',').map(s => s.trim()).filter(Boolean)) {
		if (part === '*') {
			origins.push(part);
			continue;
		}

		let url: URL | undefined;
		try {
			url = new URL(part);
		} catch {}

		if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== part.replace(/\/$/, '')) {
			return refuse(`${JSON.stringify(part)} is not an origin (scheme://host[:port], or *)`);
		}

		origins.push(url.origin);
	}

	return origins;
}

const DURATION_UNITS: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400, w: 604_800};

/** `90s`, `30m`, `12h`, `7d`, `2w` → seconds; `off`, `0`, `` → null. At least 1 s, at most a year. */
function parseDuration(raw: string): number | null {
	const text = raw.trim().toLowerCase();
	if (['', 'off', '0', 'never', 'no'].includes(text)) return null;
	const match = /^(\d{1,9})\s*([smhdw])$/.exec(text);
	const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2]!]! : Number.NaN;
	if (!(seconds >= 1 && seconds <= 366 * 86_400)) {
		return refuse('must be a duration like 30m, 12h or 7d (1s..366d), or off');
	}

	return seconds;
}

const RATE_UNITS: Record<string, number> = {k: 1e3, m: 1e6, g: 1e9};

/** MB/s by default: `50`, `50MB/s`, `200M`, `1GB/s`, `500KB/s` → bytes per second (1 MB/s .. 100 GB/s). */
function parseRate(raw: number | string): number {
	const match = /^(\d+(?:\.\d+)?)\s*(?:([kmg])b?(?:\/s)?)?$/.exec(String(raw).trim().toLowerCase());
	const rate = match ? Number(match[1]) * RATE_UNITS[match[2] ?? 'm']! : Number.NaN;
	if (!(rate >= 1e3 && rate <= 1e11)) {
		return refuse('must be a rate like 50 (MB/s), 200MB/s or 1GB/s (1 KB/s..100 GB/s)');
	}

	return Math.round(rate);
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

function display(value: unknown): string {
	return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Resolve the configuration. `flags` holds values given on the command line (undefined = not given), keyed by
 * setting name. Throws ConfigError naming the setting as the user wrote it, the value and the rule.
 */
export function loadConfig(flags: Partial<Record<SettingKey, unknown>>, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
	const values: Record<string, unknown> = {};
	for (const [key, def] of Object.entries(SETTINGS) as Array<[SettingKey, SettingDef]>) {
		const fromFlag = flags[key];
		const fromEnv = env[def.env];
		let raw: unknown;
		let source: string;
		if (fromFlag !== undefined) {
			raw = fromFlag;
			source = def.flag;
		} else if (fromEnv !== undefined) {
			raw = fromEnv;
			source = def.env;
		} else {
			raw = key === 'dataDir' ? defaultDataDir(env) : undefined;
			source = def.flag;
		}

		try {
			values[key] = def.parse(raw);
		} catch (error) {
			if (!(error instanceof RuleError)) throw error;
			// A secret is never echoed, not even a wrong one.
			throw new ConfigError(`${source}=${key === 'apiToken' ? '***' : display(raw)}: ${error.message}`);
		}
	}

	// NO_COLOR (no-color.org): any non-empty value disables colour unless a flag says otherwise.
	if (flags.noColor === undefined && env['ISOMAN_NO_COLOR'] === undefined && env['NO_COLOR']) values['noColor'] = true;

	const dataDir = path.resolve(cwd, values['dataDir'] as string);
	if (values['apiToken'] === '') values['apiToken'] = undefined;
	if (typeof values['webRoot'] === 'string') values['webRoot'] = path.resolve(cwd, values['webRoot']);
	const imagesDir = path.join(dataDir, 'images');
	return {
		...(values as Omit<Config, 'dataDir' | 'imagesDir' | 'tmpDir' | 'dbPath' | 'logPath' | 'keysDir'>),
		dataDir,
		imagesDir,
		tmpDir: path.join(imagesDir, TEMP_DIR),
		dbPath: path.join(dataDir, 'isoman.db'),
		logPath: path.join(dataDir, 'isoman.log'),
		keysDir: path.join(dataDir, 'keys'),
	};
}

/** Lines for `--help`: every global flag with its default and environment variable. */
export function settingsHelp(except: readonly string[] = []): string[] {
	return Object.values(SETTINGS).filter(def => !except.includes(def.flag)).map(def => {
		const arg = def.kind === 'boolean' ? '' : ' <value>';
		return `  ${(def.flag + arg).padEnd(24)} ${def.description} (default: ${def.defaultText}; env ${def.env})`;
	});
}

/** The README's settings table, generated from the same table (a test keeps them equal). */
export function settingsMarkdown(): string {
	const rows = Object.values(SETTINGS).map(def => `| \`${def.flag}\` | \`${def.env}\` | ${def.defaultText} | ${def.description} |`);
	return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
