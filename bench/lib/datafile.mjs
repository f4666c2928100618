/**
 * The files every benchmark downloads: random bytes (incompressible) with the ISO 9660 magic `CD001` stamped at
 * 0x8001, so isoman's content check accepts them. Generated once per size into the git-ignored bench/data/ and
 * reused (a small JSON beside each file records its size, mtime and sha256).
 */
import {createHash, randomFillSync} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {MiB} from './util.mjs';

const CHUNK = 4 * MiB;

export function isoPath(dir, sizeMiB) {
	return path.join(dir, `bench-${sizeMiB}MiB.iso`);
}

/** Creates (or reuses) `bench-<size>MiB.iso` in `dir`; resolves {file, size, sha256}. */
export async function ensureIso(dir, sizeMiB, log = () => {}) {
	fs.mkdirSync(dir, {recursive: true});
	const file = isoPath(dir, sizeMiB);
	const metaFile = `${file}.json`;
	const size = sizeMiB * MiB;
	try {
		const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
		const st = fs.statSync(file);
		if (meta.size === size && st.size === size && meta.mtimeMs === st.mtimeMs && /^[0-9a-f]{64}$/.test(meta.sha256)) {
			return {file, size, sha256: meta.sha256, reused: true};
		}
	} catch {}

	log(`generating ${file} (${sizeMiB} MiB of random data, CD001 at 0x8001)…`);
	const tmp = `${file}.tmp`;
	const fd = fs.openSync(tmp, 'w');
	const hash = createHash('sha256');
	const buf = Buffer.allocUnsafe(CHUNK);
	try {
		for (let done = 0; done < size; ) {
			const n = Math.min(CHUNK, size - done);
			const part = buf.subarray(0, n);
			randomFillSync(part);
			if (done === 0 && n >= 0x8001 + 5) part.write('CD001', 0x8001, 'latin1');
			hash.update(part);
			let off = 0;
			while (off < n) off += fs.writeSync(fd, part, off, n - off);
			done += n;
		}
	} finally {
		fs.closeSync(fd);
	}

	fs.renameSync(tmp, file);
	const sha256 = hash.digest('hex');
	fs.writeFileSync(metaFile, JSON.stringify({size, sha256, mtimeMs: fs.statSync(file).mtimeMs}) + '\n');
	return {file, size, sha256, reused: false};
}

/** Reads a file once so it sits in the page cache (every tool then reads it warm). */
export function warmRead(file) {
	const fd = fs.openSync(file, 'r');
	const buf = Buffer.allocUnsafe(CHUNK);
	try {
		while (fs.readSync(fd, buf, 0, CHUNK, null) > 0);
	} finally {
		fs.closeSync(fd);
	}
}

/**
 * Writes and deletes `bytes` of zeros in `dir`: on a VM the first pages the guest touches are slow to get (the
 * host faults them in), so the first writer of a run would be penalised. This pre-touches them for everyone.
 */
export function warmWrite(dir, bytes) {
	const file = path.join(dir, `warm-${process.pid}.tmp`);
	const fd = fs.openSync(file, 'w');
	const buf = Buffer.alloc(CHUNK);
	try {
		for (let done = 0; done < bytes; done += CHUNK) fs.writeSync(fd, buf, 0, Math.min(CHUNK, bytes - done));
	} finally {
		fs.closeSync(fd);
		fs.rmSync(file, {force: true});
	}
}
