/**
 * Who may do what. A request that changes anything needs `Authorization: Bearer <token>`; with `--auth all`,
 * reads of /api/ and /ws need it too; `--auth none` is ISOMan's open behaviour. The token is `--api-token`, else
 * the contents of `<data>/api-token`, created (256 random bits, mode 0600) the first time the server starts.
 * Tokens are compared in constant time; an address that keeps failing is refused with 429 for a while.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {IncomingMessage} from 'node:http';
import {ApiError} from './envelope.js';

export type AuthMode = 'changes' | 'all' | 'none';

export const TOKEN_FILE = 'api-token';

/** `<data>/api-token`'s token, creating the file (0600, never through a symlink) when there is none. */
export function loadOrCreateToken(dataDir: string): {token: string; file: string; created: boolean} {
	const file = path.join(dataDir, TOKEN_FILE);
	const token = randomBytes(32).toString('base64url');
	try {
		// O_EXCL: never overwrite, never follow a symlink planted at the name.
		const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
		try {
			fs.writeSync(fd, `${token}\n`);
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}

		return {token, file, created: true};
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	}

	const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
	try {
		const stat = fs.fstatSync(fd);
		if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
		if (stat.size > 4096) throw new Error(`${file} is too large to be a token (${stat.size} bytes)`);
		if ((stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
		const text = fs.readFileSync(fd, 'utf8').trim();
		if (text.length < 16) throw new Error(`${file} holds no usable token (at least 16 characters); delete it to have a new one made`);
		return {token: text, file, created: false};
	} finally {
		fs.closeSync(fd);
	}
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time: both sides are hashed to the same length first, so neither length nor content leaks. */
export function tokenMatches(given: string, expected: string): boolean {
	return timingSafeEqual(digest(given), digest(expected));
}

export function bearerOf(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (!header) return undefined;
	const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
	return match?.[1];
}

type Window = {failures: number; since: number; blockedUntil: number};

/** Failures per address within a window; past the limit the address is refused until the block ends. */
export class FailureLimiter {
	private readonly windows = new Map<string, Window>();

	constructor(
		private readonly limit = 10,
		private readonly windowMs = 60_000,
		private readonly blockMs = 60_000,
		private readonly maxAddresses = 10_000,
		private readonly now: () => number = Date.now,
	) {}

	/** Seconds until `address` may try again, or 0. */
	blockedFor(address: string): number {
		const w = this.windows.get(address);
		if (!w) return 0;
		const left = w.blockedUntil - this.now();
		return left > 0 ? Math.ceil(left / 1000) : 0;
	}

	fail(address: string): void {
		const t = this.now();
		let w = this.windows.get(address);
		if (!w || t - w.since > this.windowMs) {
			if (!w && this.windows.size >= this.maxAddresses) {
				// Bounded memory under a spray of addresses: forget the oldest entry.
				const oldest = this.windows.keys().next().value;
				if (oldest !== undefined) this.windows.delete(oldest);
			}

			w = {failures: 0, since: t, blockedUntil: w?.blockedUntil ?? 0};
			this.windows.delete(address);
			this.windows.set(address, w);
		}

		w.failures++;
		if (w.failures >= this.limit) w.blockedUntil = t + this.blockMs;
	}

	succeed(address: string): void {
		const w = this.windows.get(address);
		if (w && w.blockedUntil <= this.now()) this.windows.delete(address);
	}
}

export type Guard = {
	mode: AuthMode;
	/** Where the token lives (for the `listening` event), or undefined when it came from the environment/flag. */
	tokenFile: string | undefined;
	/** Throws 401/429 unless the request may go on. `change`: it would change something. */
	check(req: IncomingMessage, change: boolean): void;
};

export function createGuard(options: {mode: AuthMode; token: string | undefined; dataDir: string; limiter?: FailureLimiter}): Guard {
	const {mode} = options;
	let token = options.token?.trim() || undefined;
	let tokenFile: string | undefined;
	if (mode !== 'none' && !token) {
		const loaded = loadOrCreateToken(options.dataDir);
		token = loaded.token;
		tokenFile = loaded.file;
	}

	const limiter = options.limiter ?? new FailureLimiter();
	return {
		mode,
		tokenFile,
		check(req, change) {
			if (mode === 'none' || (mode === 'changes' && !change)) return;
			const address = req.socket.remoteAddress ?? 'unknown';
			const wait = limiter.blockedFor(address);
			if (wait > 0) {
				throw new ApiError('RATE_LIMITED', `too many failed authentications from ${address}; try again in ${wait} s`, {headers: {'Retry-After': String(wait)}});
			}

			const given = bearerOf(req);
			if (given !== undefined && tokenMatches(given, token!)) {
				limiter.succeed(address);
				return;
			}

			limiter.fail(address);
			const how = tokenFile ? `the token in ${TOKEN_FILE} in the data directory` : 'the token given with --api-token';
			throw new ApiError('UNAUTHORIZED', given === undefined ? `this request needs Authorization: Bearer <token> (${how})` : 'the bearer token is not right', {
				headers: {'WWW-Authenticate': 'Bearer realm="isoman"'},
			});
		},
	};
}
