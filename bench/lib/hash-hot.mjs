/** One cache-hot 1 MiB buffer hashed `mib` times: it stays in the CPU cache, so this is the hash's own speed. */
import {createHash, randomFillSync} from 'node:crypto';

const CHUNK = 1024 * 1024;

export function hashHotBuffer(alg, mib) {
	const buf = randomFillSync(Buffer.allocUnsafe(CHUNK));
	const hash = createHash(alg);
	for (let i = 0; i < mib; i++) hash.update(buf);
	return hash.digest('hex');
}
