/**
 * "Query URL" (as Proxmox's download dialog has it): before an image is added, ask its server what is there —
 * reachable or why not, the size, the final URL after redirects, the file name the server gives (Content-
 * Disposition, else the redirect target's last segment) and the type that name tells. A HEAD request; a server
 * that refuses HEAD gets a one-byte ranged GET instead. Nothing is downloaded and nothing thrown.
 */
import {fileTypeOf} from '../naming.js';
import {contentDispositionName, urlFileName} from '../remote-name.js';
import {describeNetworkError} from './errors.js';
import {discardBody, header, type HttpClient, type HttpResponse} from './http.js';
import type {UrlCheck} from '../library.js';

export type {UrlCheck} from '../library.js';


/** `bytes 0-0/1234` → 1234. */
function totalOfContentRange(value: string | undefined): number | null {
	const m = value ? /\/(\d{1,16})\s*$/.exec(value.slice(0, 200)) : null;
	return m ? Number(m[1]) : null;
}

function sizeOf(response: HttpResponse): number | null {
	if (response.statusCode === 206) return totalOfContentRange(header(response.headers, 'content-range'));
	const length = header(response.headers, 'content-length');
	return length && /^\d{1,16}$/.test(length.trim()) ? Number(length.trim()) : null;
}

export async function queryUrl(client: HttpClient, url: string, timeoutMs = 8000): Promise<UrlCheck> {
	const ask = async (method: 'HEAD' | 'GET') => {
		const response = await client.request(url, {method, headers: method === 'GET' ? {range: 'bytes=0-0'} : {}, signal: AbortSignal.timeout(timeoutMs)});
		discardBody(response.body);
		return response;
	};

	let response: HttpResponse;
	try {
		response = await ask('HEAD');
		// Some servers (and signed-URL CDNs) answer HEAD with 403, 405 or 501 but serve a GET.
		if ([403, 405, 501].includes(response.statusCode)) response = await ask('GET');
	} catch (error) {
		return {reachable: false, size: null, finalUrl: url, redirects: 0, problem: describeNetworkError(error)};
	}

	const fileName = contentDispositionName(header(response.headers, 'content-disposition')) ?? urlFileName(response.url);
	const fileType = fileName ? (fileTypeOf(fileName)?.fileType ?? undefined) : undefined;
	const ok = response.statusCode >= 200 && response.statusCode < 300;
	const contentType = (header(response.headers, 'content-type') ?? '').slice(0, 100).toLowerCase();
	let problem: string | undefined;
	if (!ok) problem = `HTTP ${response.statusCode}`;
	else if (contentType.startsWith('text/html')) problem = 'the server answers with a web page (text/html), not an image file';
	return {reachable: ok, status: response.statusCode, size: ok ? sizeOf(response) : null, finalUrl: response.url, redirects: response.redirects, fileName, fileType, problem};
}
