/**
 * A file name a server suggests (Content-Disposition, or the last segment of the URL a redirect ended at), made
 * safe to stand in for a URL that names no file (`…/download?id=42`). The server is untrusted: the header is read
 * only up to a bound, parsed without backtracking, and the name keeps no path (no `/`, `\`, `..`), no control or
 * bidi character, at most MAX_NAME characters. Pure.
 */

/** Longest header value looked at, and longest name kept. */
const MAX_HEADER = 2048;
export const MAX_NAME = 200;

function percentDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/**
 * The file name a server gives, or undefined: its last path component, controls and bidi marks dropped, surrounding
 * dots and spaces trimmed, at most MAX_NAME characters (the end, which holds the extension, is kept; of a longer
 * input only its last MAX_HEADER characters are looked at).
 */
export function safeRemoteName(raw: string | undefined): string | undefined {
	if (raw === undefined) return undefined;
	// eslint-disable-next-line no-control-regex
	const clean = raw.slice(-MAX_HEADER).replaceAll(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
	const last = clean.slice(Math.max(clean.lastIndexOf('/'), clean.lastIndexOf('\\')) + 1);
	const trimmed = last.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
	if (trimmed === '') return undefined;
	const chars = [...trimmed];
	return chars.length > MAX_NAME ? chars.slice(-MAX_NAME).join('') : trimmed;
}

/**
 * `filename*=UTF-8''…` (RFC 6266/5987, preferred) or `filename="…"` / `filename=…` of a Content-Disposition value.
 * One pass over at most MAX_HEADER characters; quoted strings honour `\"`.
 */
export function contentDispositionName(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const text = value.slice(0, MAX_HEADER);
	let plain: string | undefined;
	let extended: string | undefined;
	let i = text.indexOf(';');
	while (i >= 0 && i < text.length) {
		i++;
		while (text[i] === ' ' || text[i] === '\t') i++;
		const eq = text.indexOf('=', i);
		if (eq < 0) break;
		const key = text.slice(i, eq).trim().toLowerCase();
		let j = eq + 1;
		let parameter = '';
		if (text[j] === '"') {
			j++;
			while (j < text.length && text[j] !== '"') {
				if (text[j] === '\\' && j + 1 < text.length) j++;
				parameter += text[j];
				j++;
			}

			j = text.indexOf(';', j);
		} else {
			const end = text.indexOf(';', j);
			parameter = text.slice(j, end < 0 ? undefined : end).trim();
			j = end;
		}

		if (key === 'filename*') {
			const quote = parameter.indexOf("''");
			if (quote >= 0) extended = percentDecode(parameter.slice(quote + 2));
		} else if (key === 'filename') {
			plain = parameter;
		}

		i = j;
	}

	return safeRemoteName(extended ?? plain);
}

/** The last segment of a URL's path, percent-decoded, made safe (undefined when the path ends in `/`). */
export function urlFileName(url: string): string | undefined {
	try {
		const {pathname} = new URL(url);
		return safeRemoteName(percentDecode(pathname.slice(pathname.lastIndexOf('/') + 1)));
	} catch {
		return undefined;
	}
}
