/**
 * Node's raw hash rate, timed inside the process (start-up excluded):
 *   node hash-node.mjs file ALG FILE   → 1 MiB synchronous reads of FILE, each fed to crypto's Hash
 *   node hash-node.mjs mem ALG MIB     → the same Hash over one cache-hot 1 MiB buffer, MIB times (the CPU limit)
 * Prints {"alg","bytes","ms","hex"} on stdout.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import {hashHotBuffer} from './hash-hot.mjs';

const [mode, alg, arg] = process.argv.slice(2);
const CHUNK = 1024 * 1024;
let bytes = 0;
let hex;
let ms;
if (mode === 'file') {
	const fd = fs.openSync(arg, 'r');
	const buf = Buffer.allocUnsafe(CHUNK);
	const start = performance.now();
	const hash = createHash(alg);
	for (;;) {
		const n = fs.readSync(fd, buf, 0, CHUNK, null);
		if (n === 0) break;
		hash.update(buf.subarray(0, n));
		bytes += n;
	}

	hex = hash.digest('hex');
	ms = performance.now() - start;
	fs.closeSync(fd);
} else if (mode === 'mem') {
	const start = performance.now();
	hex = hashHotBuffer(alg, Number(arg));
	ms = performance.now() - start;
	bytes = Number(arg) * CHUNK;
} else {
	process.stderr.write('usage: hash-node.mjs file ALG FILE | mem ALG MIB\n');
	process.exit(2);
}

process.stdout.write(JSON.stringify({alg, bytes, ms, hex}) + '\n');
