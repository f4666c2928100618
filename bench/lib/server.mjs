/**
 * The bench's own static file server (used when nginx is not installed, and always for throttled transfers).
 *
 * Plain node:http, serving files under a root from disk with fs.createReadStream (1 MiB reads, so the kernel's page
 * cache does the work, close to what sendfile gives): single byte ranges, HEAD, ETag and Last-Modified (so resume and
 * If-Range work), and `?bps=N` to throttle one response to N bytes per second (for the TUI benchmarks, where
 * downloads must stay active for the whole measurement).
 *
 * Run as a child process so its CPU is not charged to the bench driver's event loop:
 *   node bench/lib/server.mjs ROOT   → prints {"port":N} on stdout, serves until SIGTERM.
 * Or `startNodeServer(root)` from run.mjs, which does exactly that.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const READ_CHUNK = 1024 * 1024;

function parseRange(header, size) {
	const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!m || (m[1] === '' && m[2] === '')) return undefined;
	let start;
	let end;
	if (m[1] === '') {
		start = Math.max(0, size - Number(m[2]));
		end = size - 1;
	} else {
		start = Number(m[1]);
		end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
	}

	if (start >= size || end < start) return null;
	return {start, end};
}

/** Writes `stream` to `res` at `bps` bytes per second (16 slices a second). */
function throttled(stream, res, bps) {
	const slice = Math.max(1, Math.floor(bps / 16));
	let budget = slice;
	let queue = [];
	let ended = false;
	const timer = setInterval(() => {
		budget = slice;
		pump();
	}, 1000 / 16);
	const pump = () => {
		while (budget > 0 && queue.length > 0) {
			const chunk = queue[0];
			const n = Math.min(budget, chunk.length);
			res.write(chunk.subarray(0, n));
			budget -= n;
			if (n === chunk.length) queue.shift();
			else queue[0] = chunk.subarray(n);
		}

		if (queue.length === 0) {
			if (ended) {
				clearInterval(timer);
				res.end();
			} else stream.resume();
		}
	};

	stream.on('data', chunk => {
		queue.push(chunk);
		stream.pause();
		pump();
	});
	stream.on('end', () => {
		ended = true;
		pump();
	});
	const stop = () => {
		clearInterval(timer);
		stream.destroy();
	};

	res.on('close', stop);
	stream.on('error', () => {
		stop();
		res.destroy();
	});
}

export function createServer(root) {
	return http.createServer((req, res) => {
		const url = new URL(req.url, 'http://x');
		const file = path.join(root, decodeURIComponent(url.pathname));
		if (!file.startsWith(root + path.sep)) {
			res.writeHead(403).end();
			return;
		}

		fs.stat(file, (error, st) => {
			if (error || !st.isFile()) {
				res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n');
				return;
			}

			const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
			const headers = {
				'content-type': 'application/octet-stream',
				'accept-ranges': 'bytes',
				etag,
				'last-modified': st.mtime.toUTCString(),
			};
			let start = 0;
			let end = st.size - 1;
			let status = 200;
			const rangeHeader = req.headers.range;
			const ifRange = req.headers['if-range'];
			if (rangeHeader && (!ifRange || ifRange === etag || ifRange === headers['last-modified'])) {
				const range = parseRange(rangeHeader, st.size);
				if (range === null) {
					res.writeHead(416, {...headers, 'content-range': `bytes */${st.size}`}).end();
					return;
				}

				if (range) {
					({start, end} = range);
					status = 206;
					headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
				}
			}

			headers['content-length'] = String(Math.max(0, end - start + 1));
			res.writeHead(status, headers);
			if (req.method === 'HEAD' || end < start) {
				res.end();
				return;
			}

			const stream = fs.createReadStream(file, {start, end, highWaterMark: READ_CHUNK});
			const bps = Number(url.searchParams.get('bps') ?? 0);
			if (bps > 0) throttled(stream, res, bps);
			else {
				stream.pipe(res);
				res.on('close', () => stream.destroy());
				stream.on('error', () => res.destroy());
			}
		});
	});
}

/** Starts the server in a child process; resolves {origin, kind, pid, stop()}. */
export async function startNodeServer(root) {
	const child = spawn(process.execPath, [fileURLToPath(import.meta.url), root], {stdio: ['ignore', 'pipe', 'inherit']});
	const port = await new Promise((resolve, reject) => {
		let text = '';
		child.stdout.on('data', d => {
			text += d;
			const line = text.split('\n')[0];
			if (text.includes('\n')) resolve(JSON.parse(line).port);
		});
		child.once('exit', code => reject(new Error(`bench server exited (${code}) before listening`)));
	});
	return {
		kind: 'node:http (bench/lib/server.mjs, createReadStream)',
		origin: `http://127.0.0.1:${port}`,
		pid: child.pid,
		async stop() {
			if (child.exitCode !== null) return;
			const exited = new Promise(resolve => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		},
	};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const root = path.resolve(process.argv[2] ?? '.');
	const server = createServer(root);
	server.keepAliveTimeout = 60_000;
	server.listen(0, '127.0.0.1', () => {
		process.stdout.write(JSON.stringify({port: server.address().port}) + '\n');
	});
	process.on('SIGTERM', () => {
		server.close();
		server.closeAllConnections();
		process.exit(0);
	});
}
