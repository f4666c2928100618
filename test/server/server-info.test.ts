/** `<data>/isoman.serve`: the URL counts only while its pid holds the library lock. */
import fs from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {acquireLock} from '../../source/core/lock.js';
import {imageUrl, readServerInfo, removeServerInfo, serverInfoPath, servedText, writeServerInfo} from '../../source/core/server-info.js';
import {tempLibrary, type TempLibrary} from '../support/library.js';

let lib: TempLibrary | undefined;
afterEach(() => lib?.cleanup());

describe('server info', () => {
	it('is read while its pid holds the lock, ignored otherwise, and removed by its writer only', () => {
		lib = tempLibrary();
		writeServerInfo(lib.dir, {pid: process.pid, url: 'http://127.0.0.1:8080'});
		// No lock held: nobody serves.
		expect(readServerInfo(lib.dir)).toBeUndefined();
		const lock = acquireLock(lib.dir, 'daemon');
		try {
			expect(readServerInfo(lib.dir)).toEqual({pid: process.pid, url: 'http://127.0.0.1:8080'});
			// Another pid's file (a daemon killed with -9, then this process took the lock): ignored, and not ours to remove.
			fs.writeFileSync(serverInfoPath(lib.dir), JSON.stringify({pid: 999_999_999, url: 'http://x:1'}));
			expect(readServerInfo(lib.dir)).toBeUndefined();
			removeServerInfo(lib.dir);
			expect(fs.existsSync(serverInfoPath(lib.dir))).toBe(true);
			// Garbage is ignored.
			fs.writeFileSync(serverInfoPath(lib.dir), '{"pid":' + process.pid + ',"url":"javascript:alert(1)"}');
			expect(readServerInfo(lib.dir)).toBeUndefined();
			writeServerInfo(lib.dir, {pid: process.pid, url: 'http://127.0.0.1:8080'});
			removeServerInfo(lib.dir);
			expect(fs.existsSync(serverInfoPath(lib.dir))).toBe(false);
		} finally {
			lock.release();
		}
	});

	it('makes image URLs and the served summary', () => {
		expect(imageUrl('http://h:1', 'a b/1.0/x86_64/a b-1.0-x86_64.iso')).toBe('http://h:1/images/a%20b/1.0/x86_64/a%20b-1.0-x86_64.iso');
		const bytes = (n: number) => `${n} B`;
		expect(servedText({downloadCount: 0, bytesServed: 0}, bytes)).toBe('never');
		expect(servedText({downloadCount: 1, bytesServed: 10}, bytes)).toBe('once, 10 B sent');
		expect(servedText({downloadCount: 0, bytesServed: 10}, bytes)).toBe('0 times, 10 B sent');
		expect(servedText({downloadCount: 14, bytesServed: 99}, bytes)).toBe('14 times, 99 B sent');
	});
});
