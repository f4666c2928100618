/**
 * The bytes of a key given to `isoman key add`: a local file or an http(s) URL (a publisher's KEYS file), at
 * most 1 MiB either way.
 */
import fsp from 'node:fs/promises';
import type {Config} from '../../config.js';
import {USER_AGENT} from '../../version.js';
import {createHttpClient} from '../download/http.js';
import {fetchText} from '../download/fetch-text.js';
import {IsomanError, type Logger} from '../types.js';

export const MAX_KEY_BYTES = 1024 * 1024;

/** Throws IsomanError 'invalid' for a source that is neither a file nor a URL (or too big); other errors as they come. */
export async function readKeySource(source: string, config: Pick<Config, 'retries' | 'retryBaseMs' | 'retryMaxMs'>, log: Logger): Promise<Uint8Array> {
	if (/^https?:\/\//i.test(source)) {
		const client = createHttpClient({userAgent: USER_AGENT, connectTimeoutMs: 30_000, headersTimeoutMs: 60_000});
		try {
			const {bytes} = await fetchText(client, source, {
				maxBytes: MAX_KEY_BYTES,
				retries: Math.min(config.retries, 3),
				backoff: {baseMs: config.retryBaseMs, maxMs: config.retryMaxMs},
				log,
			});
			return bytes;
		} finally {
			await client.close();
		}
	}

	const stat = await fsp.stat(source).catch(() => undefined);
	if (!stat?.isFile()) throw new IsomanError('invalid', `key: ${source} is not a file or an http(s) URL`, 'key');
	if (stat.size > MAX_KEY_BYTES) throw new IsomanError('invalid', `key: ${source} is ${stat.size} bytes; a key file is at most ${MAX_KEY_BYTES}`, 'key');
	return fsp.readFile(source);
}
