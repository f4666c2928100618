/**
 * One file to one client: validators and preconditions (304), one range (206) or the whole file (200), 416, and
 * the body streamed with backpressure in 1 MiB reads (the next read overlaps the socket's send) into buffers reused
 * once the socket is done with them, so memory per client is two or three chunks whatever the file's size, and a
 * client that goes away stops the reads at once.
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import {ifRangeMatches, noneMatchSatisfied, notModifiedSince, parseRange} from './conditional.js';
import type {OpenedFile} from './safe-open.js';

export const SEND_CHUNK_BYTES = 1024 * 1024;

export type FileMeta = {
	contentType: string;
	/** A strong entity tag, quoted. */
	etag: string;
	/** `Repr-Digest` (RFC 9530), when there is one. */
	reprDigest?: string;
};

export type SendHooks = {
	/** Bytes of the body handed to the kernel (counted as each write completes). */
	onBytes?(bytes: number): void;
	/** The response finished sending the whole file from byte 0 (GET only). */
	onWholeFile?(): void;
};

/** Sends `file` (whose handle this function closes) as the answer to `req`. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenedFile, meta: FileMeta, hooks: SendHooks = {}): Promise<void> {
	const {handle, stat} = file;
	let handed = false;
	try {
		const size = stat.size;
		const lastModified = new Date(stat.mtimeMs).toUTCString();
		res.setHeader('ETag', meta.etag);
		res.setHeader('Last-Modified', lastModified);
		res.setHeader('Accept-Ranges', 'bytes');
		res.setHeader('Cache-Control', 'no-cache');
		if (meta.reprDigest) res.setHeader('Repr-Digest', meta.reprDigest);

		const noneMatch = noneMatchSatisfied(req.headers['if-none-match'], meta.etag);
		if (noneMatch === true || (noneMatch === undefined && notModifiedSince(req.headers['if-modified-since'], stat.mtimeMs))) {
			res.writeHead(304).end();
			return;
		}

		res.setHeader('Content-Type', meta.contentType);
		let range = parseRange(req.headers.range, size);
		if (range.kind !== 'whole' && !ifRangeMatches(req.headers['if-range'] as string | undefined, meta.etag, lastModified)) range = {kind: 'whole'};
		if (range.kind === 'unsatisfiable') {
			const body = JSON.stringify({success: false, error: {code: 'RANGE_NOT_SATISFIABLE', message: `the file has ${size} bytes`}});
			res.writeHead(416, {'Content-Range': `bytes */${size}`, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body)});
			res.end(req.method === 'HEAD' ? undefined : body);
			return;
		}

		const start = range.kind === 'partial' ? range.start : 0;
		const end = range.kind === 'partial' ? range.end : size - 1;
		const length = end - start + 1;
		if (range.kind === 'partial') {
			res.writeHead(206, {'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': length});
		} else {
			res.writeHead(200, {'Content-Length': size});
		}

		if (req.method === 'HEAD' || length <= 0) {
			res.end();
			return;
		}

		handed = true;
		await stream(res, file, start, end, hooks, start === 0 && end === size - 1);
	} finally {
		if (!handed) await handle.close();
	}
}

async function stream(res: ServerResponse, {handle}: OpenedFile, start: number, end: number, hooks: SendHooks, whole: boolean): Promise<void> {
	let gone = false;
	const onClose = () => {
		gone = true;
		wake?.();
	};

	let wake: (() => void) | undefined;
	res.once('close', onClose);
	// Buffers come back when the socket is done with them: two or three per client, whatever the file's size.
	const free: Buffer[] = [];
	const read = async (position: number) => {
		const length = Math.min(SEND_CHUNK_BYTES, end + 1 - position);
		const buffer = free.pop() ?? Buffer.allocUnsafe(SEND_CHUNK_BYTES);
		const {bytesRead} = await handle.read(buffer, 0, length, position);
		return {buffer, chunk: buffer.subarray(0, bytesRead)};
	};

	try {
		let position = start;
		let next: ReturnType<typeof read> | undefined = read(position);
		while (next && !gone) {
			const {buffer, chunk} = await next;
			if (gone) break;
			if (chunk.length === 0) {
				// The file is shorter than it was when the headers went out: end the connection, never pad.
				res.destroy(new Error('the file shrank while it was being sent'));
				return;
			}

			position += chunk.length;
			// Start the next read before waiting for the socket: disk and network overlap.
			next = position <= end ? read(position) : undefined;
			next?.catch(() => {});
			const bytes = chunk.length;
			const writable = res.write(chunk, error => {
				if (error) return;
				hooks.onBytes?.(bytes);
				free.push(buffer);
			});
			if (!writable && !gone) {
				await new Promise<void>(resolve => {
					wake = resolve;
					res.once('drain', resolve);
				});
				res.off('drain', wake!);
				wake = undefined;
			}
		}

		if (gone) return;
		if (whole && hooks.onWholeFile) res.once('finish', hooks.onWholeFile);
		res.end();
	} catch (error) {
		res.destroy(error as Error);
	} finally {
		res.off('close', onClose);
		await handle.close().catch(() => {});
	}
}
