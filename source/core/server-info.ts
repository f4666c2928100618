/**
 * Where the library is served, for the other processes that show it (a TUI or `isoman show` working through the
 * daemon): `<data>/isoman.serve` holds `{"pid","url"}`, written whole (temp file + rename) once the daemon listens
 * and removed when it stops. It counts only while its pid holds the library lock, so a file left by a kill -9
 * says nothing.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {readLock} from './lock.js';

export type ServerInfo = {pid: number; url: string};

export function serverInfoPath(dataDir: string): string {
	return path.join(dataDir, 'isoman.serve');
}

export function writeServerInfo(dataDir: string, info: ServerInfo): void {
	const file = serverInfoPath(dataDir);
	const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
	fs.writeFileSync(temporary, JSON.stringify(info) + '\n', {mode: 0o644, flag: 'wx'});
	fs.renameSync(temporary, file);
}

export function removeServerInfo(dataDir: string, pid = process.pid): void {
	if (readServerInfoFile(dataDir)?.pid !== pid) return;
	fs.rmSync(serverInfoPath(dataDir), {force: true});
}

function readServerInfoFile(dataDir: string): ServerInfo | undefined {
	try {
		const text = fs.readFileSync(serverInfoPath(dataDir), 'utf8');
		if (text.length > 4096) return undefined;
		const info = JSON.parse(text) as Partial<ServerInfo>;
		if (typeof info.pid !== 'number' || typeof info.url !== 'string' || !/^https?:\/\/[^\s]{1,300}$/.test(info.url)) return undefined;
		return {pid: info.pid, url: info.url};
	} catch {
		return undefined;
	}
}

/** The URL the library is served at (`http://host:port`, no trailing slash), when its owner is serving it. */
export function readServerInfo(dataDir: string): ServerInfo | undefined {
	const info = readServerInfoFile(dataDir);
	if (!info) return undefined;
	return readLock(dataDir)?.pid === info.pid ? info : undefined;
}

/** The URL of an image on that server: `http://host:port/images/<file_path>` (each segment encoded). */
export function imageUrl(serverUrl: string, filePath: string): string {
	return `${serverUrl}/images/${filePath.split('/').map(segment => encodeURIComponent(segment)).join('/')}`;
}

/** "served 14 times, 58.2 GiB sent" (`formatBytes` is the front end's own). */
export function servedText(image: {downloadCount: number; bytesServed: number}, formatBytes: (bytes: number) => string): string {
	const times = image.downloadCount === 1 ? 'once' : `${image.downloadCount} times`;
	return image.bytesServed === 0 && image.downloadCount === 0 ? 'never' : `${times}, ${formatBytes(image.bytesServed)} sent`;
}
