/**
 * `GET|HEAD /images/…`: a complete image or its sidecar (what the catalogue says may be served, opened without
 * following links), or the index of a directory that leads to complete images (HTML, or JSON for
 * `Accept: application/json` / `?format=json`). Anything else is 404. Bytes sent are counted per image.
 */
import {createHash} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Image} from '../../core/index.js';
import {PAGE_CSP, type ServerContext} from '../context.js';
import {completeImages, findServable, recordServed, sidecarOnDisk} from '../library.js';
import type {RequestPath} from '../request-path.js';
import {encodePath} from '../request-path.js';
import {redirect, sendError, sendJson} from '../responses.js';
import {createAccounting} from './accounting.js';
import {renderIndexPage} from './index-page.js';
import {buildListing} from './listing.js';
import {NotServableError, openInside} from './safe-open.js';
import {sendFile, type FileMeta} from './send-file.js';

export type ImageRoutes = {
	handle(req: IncomingMessage, res: ServerResponse, target: RequestPath): Promise<void>;
	/** Write the last counts. */
	close(): Promise<void>;
};

/** RFC 9530 digest tokens for the algorithms that have one. */
const DIGEST_TOKENS: Partial<Record<string, string>> = {sha256: 'sha-256', sha512: 'sha-512'};

/** Sidecars are a line or two; anything bigger at that name is not one. */
const MAX_SIDECAR_BYTES = 64 * 1024;

export function imageMeta(image: Image): Omit<FileMeta, 'etag'> & {etag?: string} {
	const token = image.checksumType ? DIGEST_TOKENS[image.checksumType] : undefined;
	return {
		contentType: image.fileType === 'iso' ? 'application/x-iso9660-image' : 'application/octet-stream',
		// The verified digest names the content: the same ETag across restarts and moves, a new one if it changes.
		etag: image.checksum ? `"${image.checksumType ?? 'sha256'}-${image.checksum}"` : undefined,
		reprDigest: token && image.checksum ? `${token}=:${Buffer.from(image.checksum, 'hex').toString('base64')}:` : undefined,
	};
}

/** `Host` as the client sent it, if it is a plain host[:port]; else the server's own URL. */
function originFor(req: IncomingMessage, fallback: string): string {
	const host = req.headers.host;
	return host && /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(host) ? `http://${host}` : fallback;
}

function wantsJson(req: IncomingMessage, search: string): boolean {
	if (new URLSearchParams(search).get('format') === 'json') return true;
	const accept = req.headers.accept ?? '';
	return accept.includes('application/json') && !accept.includes('text/html');
}

export function createImageRoutes(context: ServerContext): ImageRoutes {
	const {config, log, library} = context;
	const accounting = createAccounting(batch => recordServed(library, batch), log);
	const notFound = (res: ServerResponse) => sendError(res, 404, 'NOT_FOUND', 'no complete image or directory at this path');

	const serveDirectory = async (req: IncomingMessage, res: ServerResponse, dir: string[], search: string) => {
		const listing = await buildListing(config.imagesDir, completeImages(library), dir);
		if (!listing) return notFound(res);
		res.setHeader('Vary', appendVary(res.getHeader('Vary'), 'Accept'));
		if (wantsJson(req, search)) return sendJson(res, 200, listing);
		const html = renderIndexPage(listing, originFor(req, context.baseUrl()), context.version);
		res.writeHead(200, {
			'Content-Type': 'text/html; charset=utf-8',
			'Content-Length': Buffer.byteLength(html),
			'Content-Security-Policy': PAGE_CSP,
			'Cache-Control': 'no-cache',
		});
		res.end(req.method === 'HEAD' ? undefined : html);
	};

	const serveFile = async (req: IncomingMessage, res: ServerResponse, rest: string[]) => {
		const filePath = rest.join('/');
		const servable = findServable(library, filePath);
		if (!servable) {
			// A directory named without its trailing slash.
			if (await buildListing(config.imagesDir, completeImages(library), rest)) return redirect(res, encodePath(['images', ...rest]) + '/');
			return notFound(res);
		}

		const {image} = servable;
		// A sidecar is opened under its on-disk name (the `.<checksum_type>` alias ISOMan's UI links to is the same file).
		const segments = servable.kind === 'image' ? rest : [...image.filePath.split('/').slice(0, -1), sidecarOnDisk({...image, checksumType: image.checksumType!})];
		let opened;
		try {
			opened = await openInside(config.imagesDir, segments);
		} catch (error) {
			if (!(error instanceof NotServableError)) throw error;
			if (error.reason === 'unsafe') log.warn('http.refused', {id: image.id, path: filePath, reason: error.message});
			return notFound(res);
		}

		if (servable.kind === 'image') {
			if (image.sizeBytes !== null && opened.stat.size !== image.sizeBytes) {
				await opened.handle.close();
				log.warn('http.size_mismatch', {id: image.id, path: filePath, on_disk: opened.stat.size, catalogue: image.sizeBytes});
				return sendError(res, 404, 'NOT_FOUND', 'the file on disk is not the one the catalogue verified; run isoman verify');
			}

			const meta = imageMeta(image);
			await sendFile(req, res, opened, {...meta, etag: meta.etag ?? `"${opened.stat.size}-${Math.floor(opened.stat.mtimeMs)}"`}, {
				onBytes: bytes => accounting.sent(image.id, bytes),
				onWholeFile: () => accounting.downloaded(image.id),
			});
			return;
		}

		if (opened.stat.size > MAX_SIDECAR_BYTES) {
			await opened.handle.close();
			return notFound(res);
		}

		const content = Buffer.alloc(opened.stat.size);
		await opened.handle.read(content, 0, content.length, 0);
		const etag = `"sidecar-${createHash('sha256').update(content).digest('hex').slice(0, 32)}"`;
		await sendFile(req, res, opened, {contentType: 'text/plain; charset=utf-8', etag});
	};

	return {
		async handle(req, res, target) {
			const rest = target.segments.slice(1);
			if (target.directory) return serveDirectory(req, res, rest.slice(0, -1), target.search);
			return serveFile(req, res, rest);
		},
		async close() {
			accounting.close();
		},
	};
}

function appendVary(current: unknown, value: string): string {
	const text = typeof current === 'string' ? current : '';
	return text ? `${text}, ${value}` : value;
}
