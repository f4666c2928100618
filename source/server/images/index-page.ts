/**
 * The HTML index of a directory below images/: self-contained (inline CSS, no script, no font, nothing from
 * elsewhere), a plain table that reads in lynx and w3m, directories first, sizes 1024-based with the exact bytes
 * in a tooltip, UTC times, each image's checksum and whether it was verified, and its full URL ready to copy.
 * On narrow screens (a phone, 360 px) the rows become stacked blocks, nothing scrolls sideways.
 */
import type {Listing, ListingEntry} from './listing.js';

const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};

/** Text and attribute values, escaped for HTML. */
export function escapeHtml(value: string): string {
	return value.replaceAll(/[&<>"']/g, c => ESCAPES[c]!);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1024-based, three significant digits: `1.23 GiB`, `512 B`. */
export function formatSize(bytes: number): string {
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < UNITS.length - 1) {
		value /= 1024;
		unit++;
	}

	return unit === 0 ? `${bytes} B` : `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${UNITS[unit]}`;
}

/** `2026-12-01 09:30 UTC` */
function formatTime(iso: string | null | undefined): string {
	return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '';
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#fff}
h1{font-size:1.25rem;margin:0 0 .25rem;overflow-wrap:anywhere}
p.sub{margin:0 0 1rem;color:#57606a}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d8dee4;vertical-align:top}
th{font-weight:600;background:#f6f8fa}
td.size,td.time{white-space:nowrap}
a{color:#0550ae;text-decoration:none;overflow-wrap:anywhere}
a:hover{text-decoration:underline}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere;word-break:break-all}
.ok{color:#1a7f37;font-weight:600}.warn{color:#9a6700;font-weight:600}
input.url{display:block;width:100%;min-width:26em;margin-top:.25rem;font:12px ui-monospace,monospace;padding:.2rem .3rem;border:1px solid #d0d7de;border-radius:4px;background:#f6f8fa;color:#1b1f24}
.muted{color:#57606a}
@media (max-width:640px){
 thead{display:none}
 table,tbody,tr,td{display:block;width:100%}
 tr{border-bottom:1px solid #d8dee4;padding:.4rem 0}
 td{border:0;padding:.1rem 0}
 td:empty{display:none}
 input.url{min-width:0}
 td.size:before{content:"Size: ";color:#57606a}
 td.time:before{content:"Modified: ";color:#57606a}
}
@media (prefers-color-scheme:dark){
 body{background:#0d1117;color:#e6edf3}th{background:#161b22}th,td,tr{border-color:#30363d}
 a{color:#58a6ff}input.url{background:#161b22;color:#e6edf3;border-color:#30363d}p.sub,.muted{color:#8b949e}
 .ok{color:#3fb950}.warn{color:#d29922}
}`;

function checksumCell(entry: ListingEntry): string {
	if (entry.kind !== 'image') return entry.type === 'file' ? '<span class="muted">checksum file</span>' : '';
	const type = escapeHtml(entry.checksum_type ?? 'sha256');
	const state = entry.verified
		? `<span class="ok">verified</span>${entry.verified_at ? ` <span class="muted">(checked ${escapeHtml(formatTime(entry.verified_at))})</span>` : ''}`
		: '<span class="warn">unverified</span>';
	return `${type} ${state}${entry.checksum ? `<br><code>${escapeHtml(entry.checksum)}</code>` : ''}`;
}

function row(entry: ListingEntry, origin: string): string {
	const name = escapeHtml(entry.name) + (entry.type === 'dir' ? '/' : '');
	const link = `<a href="${escapeHtml(entry.href)}">${name}</a>`;
	const url =
		entry.kind === 'image'
			? `<input class="url" readonly value="${escapeHtml(origin + entry.href)}" aria-label="URL of ${escapeHtml(entry.name)}" title="URL of ${escapeHtml(entry.name)}">`
			: '';
	const size = entry.size_bytes === null ? '<td class="size"></td>' : `<td class="size" title="${entry.size_bytes} bytes">${formatSize(entry.size_bytes)}</td>`;
	return `<tr class="${entry.type}"><td class="name">${link}${url}</td>${size}<td class="time">${escapeHtml(formatTime(entry.modified))}</td><td class="sum">${checksumCell(entry)}</td></tr>`;
}

/** The page for `listing`; `origin` (`http://host:port`) makes the copyable URLs absolute. */
export function renderIndexPage(listing: Listing, origin: string, version: string): string {
	const title = `Index of ${listing.path}`;
	const parent = listing.path === '/images/' ? '' : `<tr class="parent"><td class="name"><a href="../">../</a> <span class="muted">parent directory</span></td><td class="size"></td><td class="time"></td><td></td></tr>`;
	const images = listing.entries.filter(e => e.kind === 'image').length;
	const dirs = listing.entries.filter(e => e.type === 'dir').length;
	const summary = `${dirs} ${dirs === 1 ? 'directory' : 'directories'}, ${images} ${images === 1 ? 'image' : 'images'}`;
	const body = listing.entries.length === 0 ? '<tr><td colspan="4" class="muted">No complete images yet.</td></tr>' : listing.entries.map(e => row(e, origin)).join('\n');
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${summary} &middot; isoman ${escapeHtml(version)} &middot; <a href="${escapeHtml(listing.path)}?format=json">JSON</a></p>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified</th><th>Checksum</th></tr></thead>
<tbody>
${parent}
${body}
</tbody>
</table>
</body>
</html>
`;
}
