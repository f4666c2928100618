/**
 * `--web-root DIR`: a static web app (ISOMan's built UI, for one) served from DIR at `/`: files as they are, and
 * `index.html` for any other path so that a client-side router works. A path never leaves DIR: no `..`, no NUL or
 * backslash, no encoded `/`, nothing reached through a symlink (the real path must stay inside DIR's real path).
 * Every response carries a Content-Security-Policy that lets such an app run and nothing more.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {pipeline} from 'node:stream/promises';

export const WEB_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.map': 'application/json; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.gif': 'image/gif',
	'.webp': 'image/webp',
	'.ico': 'image/x-icon',
	'.woff': 'font/woff',
	'.woff2': 'font/woff2',
	'.txt': 'text/plain; charset=utf-8',
	'.wasm': 'application/wasm',
};

export class WebRoot {
	private readonly root: string;

	constructor(dir: string) {
		this.root = fs.realpathSync(dir);
		if (!fs.statSync(this.root).isDirectory()) throw new Error(`--web-root ${dir}: not a directory`);
	}

	/** The real file for a URL path inside the root, or undefined (outside, missing, not a regular file). */
	async resolve(urlPath: string): Promise<string | undefined> {
		let decoded: string;
		try {
			decoded = decodeURIComponent(urlPath);
		} catch {
			return undefined;
		}

		if (decoded.includes('\0') || decoded.includes('\\') || /%2f/i.test(urlPath)) return undefined;
		const parts = decoded.split('/').filter(Boolean);
		if (parts.some(p => p === '..' || p === '.')) return undefined;
		const candidate = path.join(this.root, ...parts);
		try {
			const real = await fsp.realpath(candidate);
			if (real !== candidate) return undefined; // a symlink somewhere on the way
			if (!real.startsWith(this.root + path.sep) && real !== this.root) return undefined;
			const stat = await fsp.stat(real);
			if (stat.isDirectory()) {
				const index = path.join(real, 'index.html');
				const s = await fsp.lstat(index).catch(() => undefined);
				return s?.isFile() ? index : undefined;
			}

			return stat.isFile() ? real : undefined;
		} catch {
			return undefined;
		}
	}

	/** Serves `urlPath` (or index.html); false when there is nothing to serve at all. */
	async serve(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<boolean> {
		const file = (await this.resolve(urlPath)) ?? (await this.resolve('/index.html'));
		if (!file) return false;
		let handle: fsp.FileHandle;
		try {
			handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
		} catch {
			return false;
		}

		try {
			const stat = await handle.stat();
			const isIndex = path.basename(file) === 'index.html';
			res.writeHead(200, {
				'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
				'Content-Length': String(stat.size),
				'Content-Security-Policy': WEB_CSP,
				'Last-Modified': stat.mtime.toUTCString(),
				// The app's hashed assets may be cached; its entry page must be fetched again to pick up a new build.
				'Cache-Control': isIndex ? 'no-cache' : 'public, max-age=3600',
			});
			if (req.method === 'HEAD') {
				res.end();
				return true;
			}

			await pipeline(handle.createReadStream({autoClose: false}), res);
		} catch {
			res.destroy();
		} finally {
			await handle.close().catch(() => {});
		}

		return true;
	}
}
