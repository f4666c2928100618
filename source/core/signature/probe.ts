/** HEAD requests for the signatures propose.ts lists (part of the download engine: it needs the HTTP client). */
import {createHttpClient, discardBody, type HttpClient} from '../download/http.js';
import {signatureCandidates} from './propose.js';

/** findSignatureUrl with a client of its own (a process that downloads nothing has none); never throws. */
export async function probeSignatureUrl(checksumUrl: string, userAgent: string): Promise<string | undefined> {
	const client = createHttpClient({userAgent, connectTimeoutMs: 5000, headersTimeoutMs: 5000});
	try {
		return await findSignatureUrl(client, checksumUrl);
	} finally {
		await client.close().catch(() => undefined);
	}
}

/** The first candidate that answers a HEAD request with 2xx (each asked at most `timeoutMs`), or undefined. */
export async function findSignatureUrl(client: HttpClient, checksumUrl: string, timeoutMs = 5000): Promise<string | undefined> {
	for (const candidate of signatureCandidates(checksumUrl).candidates) {
		try {
			const response = await client.request(candidate, {method: 'HEAD', signal: AbortSignal.timeout(timeoutMs)});
			discardBody(response.body);
			if (response.statusCode >= 200 && response.statusCode < 300) return candidate;
		} catch {
			// unreachable or refused: try the next one
		}
	}

	return undefined;
}
