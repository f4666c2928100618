/**
 * Helpers for the HTTP server's tests: a library with complete images (downloaded for real from the test server,
 * in this process), the built daemon serving it on 127.0.0.1 (port 0, read from its `listening` event), and raw
 * HTTP over a socket for requests a client library would normalise.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import {loadConfig} from '../../source/config.js';
import {silentLogger} from '../../source/core/log.js';
import {Manager} from '../../source/core/manager.js';
import type {Image} from '../../source/core/types.js';
import {generatedBytes, type TestServer} from '../support/server.js';
import {startDaemon, type Daemon} from '../cli/helpers.js';

export type ImageSpec = {
	/** Path on the test server; its file name tells name, version and arch. */
	path: string;
	size: number;
	seed: number;
	fileType?: string;
	/** Check against a given digest (verified) or record it only (unverified). Default true. */
	verified?: boolean;
	/** The digest's algorithm (default sha256). */
	algorithm?: 'sha256' | 'sha512' | 'blake2b512';
	name?: string;
	version?: string;
};

/** Download `specs` into the library at `dir` (this process owns it meanwhile); returns the complete rows. */
export async function completeImages(dir: string, server: TestServer, specs: ImageSpec[]): Promise<Image[]> {
	const config = loadConfig({dataDir: dir}, {});
	fs.mkdirSync(config.tmpDir, {recursive: true});
	const manager = new Manager({config, log: silentLogger});
	try {
		const ids: string[] = [];
		for (const spec of specs) {
			const fileType = spec.fileType ?? spec.path.split('.').pop();
			const sha = await server.serve(spec.path, {kind: 'generated', size: spec.size, seed: spec.seed, fileType});
			const algorithm = spec.algorithm ?? 'sha256';
			const digest = algorithm === 'sha256' ? sha : createHash(algorithm).update(generatedBytes(spec.size, spec.seed, fileType)).digest('hex');
			const image = manager.addNow({
				url: server.url(spec.path),
				name: spec.name,
				version: spec.version,
				checksum: spec.verified === false ? undefined : `${algorithm}:${digest}`,
			});
			ids.push(image.id);
		}

		manager.start();
		await manager.whenIdle();
		const images = ids.map(id => manager.get(id)!);
		for (const image of images) if (image.status !== 'complete') throw new Error(`${image.filePath} ended ${image.status}: ${image.errorMessage}`);
		return images;
	} finally {
		await manager.close();
	}
}

export type Serving = {daemon: Daemon; url: string; port: number};

/** `isoman --daemon --listen 127.0.0.1:0 <args>` on `dir`, resolved once it listens. */
export async function serve(dir: string, args: string[] = [], env?: Record<string, string>): Promise<Serving> {
	const daemon = startDaemon(dir, ['--listen', '127.0.0.1:0', ...args], env);
	const listening = await daemon.next(line => line.event === 'listening', {what: 'the listening event'});
	return {daemon, url: listening['url'] as string, port: listening['port'] as number};
}

export type RawResponse = {status: number; statusLine: string; headers: Record<string, string>; body: Buffer; raw: Buffer};

/**
 * Send `request` (bytes as given: nothing normalised) on a fresh socket and read the answer until the server
 * closes it. `Connection: close` is added unless the request already ends its headers itself (`\r\n\r\n`).
 */
export async function rawRequest(port: number, request: string | Buffer, timeoutMs = 15_000): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port});
		const chunks: Buffer[] = [];
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`no complete answer in ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 200))}`));
		}, timeoutMs);
		socket.on('data', chunk => chunks.push(chunk));
		socket.on('error', error => {
			clearTimeout(timer);
			reject(error);
		});
		socket.on('close', () => {
			clearTimeout(timer);
			resolve(parseRaw(Buffer.concat(chunks)));
		});
		socket.write(request);
	});
}

/** `GET <target>` as raw bytes, with Host and Connection: close. */
export function rawGet(target: string, method = 'GET', headers: Record<string, string> = {}): string {
	const extra = Object.entries(headers)
		.map(([k, v]) => `${k}: ${v}\r\n`)
		.join('');
	return `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
}

export function parseRaw(raw: Buffer): RawResponse {
	const end = raw.indexOf('\r\n\r\n');
	if (end === -1) return {status: 0, statusLine: '', headers: {}, body: Buffer.alloc(0), raw};
	const head = raw.subarray(0, end).toString('latin1').split('\r\n');
	const statusLine = head[0] ?? '';
	const headers: Record<string, string> = {};
	for (const line of head.slice(1)) {
		const colon = line.indexOf(':');
		headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
	}

	return {status: Number(statusLine.split(' ')[1]), statusLine, headers, body: raw.subarray(end + 4), raw};
}

/** Read the NDJSON log of a library (`<dir>/isoman.log`), parsed. */
export function logRecords(dir: string): Array<Record<string, unknown>> {
	const text = fs.existsSync(`${dir}/isoman.log`) ? fs.readFileSync(`${dir}/isoman.log`, 'utf8') : '';
	return text
		.split('\n')
		.filter(Boolean)
		.flatMap(line => {
			try {
				return [JSON.parse(line) as Record<string, unknown>];
			} catch {
				return [];
			}
		});
}
