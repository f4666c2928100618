/**
 * What a file row says about its state: a marker in text as well as colour (queued, ▶, ⏸, ✓ signed, ✓ verified,
 * ✓ unverified, ✗ reason, missing), a progress bar with %, bytes, smoothed rate and ETA for active transfers
 * ("stalled" when no byte arrives, an indeterminate bar when the size is unknown), and the one-line summary of a
 * collapsed group. Pure: returns text segments, the components only colour them.
 */
import {isVerified, messageText, type Image, type Progress, type RetryState} from '../core/index.js';
import {formatBytes, formatBytesOf, formatDuration, formatPercent, formatRate} from './format.js';
import type {ColorName, Theme} from './theme.js';

export type Segment = {text: string; color?: ColorName; bold?: boolean; dim?: boolean};

const REASONS: Record<string, string> = {
	cancelled: 'cancelled',
	network: 'network error',
	content: 'not an image',
	checksum_mismatch: 'checksum mismatch',
	checksum_source: 'checksum file',
	disk_full: 'disk full',
	corrupt: 'corrupt',
	io: 'i/o error',
	too_many_redirects: 'too many redirects',
	size_mismatch: 'size mismatch',
	signature_invalid: 'bad signature',
	signature_unknown_key: 'unknown signing key',
	signature_source: 'signature file',
};

/** A short reason for a failed row: "HTTP 404", "checksum mismatch", "cancelled". */
function failureReason(image: Pick<Image, 'errorCode' | 'errorMessage'>): string {
	if (image.errorCode === 'http_status') {
		const status = /\b([1-5]\d\d)\b/.exec(image.errorMessage ?? '');
		return status ? `HTTP ${status[1]!}` : 'HTTP error';
	}

	if (!image.errorCode) return 'failed';
	return REASONS[image.errorCode] ?? image.errorCode.replaceAll('_', ' ');
}

/** A bar of exactly `width` columns (brackets included in ASCII). `fraction` null → indeterminate. */
function progressBar(fraction: number | null, width: number, theme: Theme, downloaded = 0): string {
	const g = theme.glyphs;
	const inner = width - g.barOpen.length - g.barClose.length;
	if (inner <= 0) return '';
	if (fraction === null) {
		// Moves only as bytes arrive (one step per MiB): no timer, no frames while nothing happens.
		const block = Math.min(3, inner);
		const span = Math.max(1, inner - block + 1);
		const step = Math.floor(downloaded / (1024 * 1024)) % (2 * span - 1 || 1);
		const position = step < span ? step : 2 * span - 2 - step;
		return g.barOpen + g.barEmpty.repeat(position) + g.barFull.repeat(block) + g.barEmpty.repeat(inner - block - position) + g.barClose;
	}

	const full = Math.round(Math.max(0, Math.min(1, fraction)) * inner);
	return g.barOpen + g.barFull.repeat(full) + g.barEmpty.repeat(inner - full) + g.barClose;
}

const len = (s: string) => [...s].length;

const NETWORK_REASONS: Array<[RegExp, string]> = [
	[/ECONNREFUSED|connection refused/i, 'connection refused'],
	[/ECONNRESET|socket hang up|other side closed/i, 'connection reset'],
	[/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, 'host not found'],
	[/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|timed? ?out/i, 'timed out'],
	[/EHOSTUNREACH|ENETUNREACH/i, 'unreachable'],
	[/^stalled/i, 'stalled'],
];

/** "connection refused", "HTTP 503", … from an engine's retry reason; the first 40 characters otherwise. */
export function shortRetryReason(reason: string): string {
	const status = /^HTTP (\d{3})\b/.exec(reason);
	if (status) return `HTTP ${status[1]!}`;
	for (const [pattern, text] of NETWORK_REASONS) if (pattern.test(reason)) return text;
	return reason.length > 40 ? reason.slice(0, 39) + '…' : reason;
}

/** "retry 3/8 in 15s: connection refused" (or "retry 3/8 now: …" once the wait is over). */
export function retryText(retry: RetryState, now: number = Date.now()): string {
	const left = Math.round((retry.at - now) / 1000);
	return `retry ${retry.attempt}/${retry.max} ${left > 0 ? `in ${formatDuration(left)}` : 'now'}: ${messageText(shortRetryReason(retry.reason))}`;
}

/** A piece of an active row, with the widest text it can have so that the bar's width does not jitter. */
type Piece = {widest: number; segment: Segment | undefined};

/** Longest bar on very wide screens. */
const MAX_BAR = 40;
const MIN_BAR = 6;

function activeSegments(progress: Progress, theme: Theme, width: number, now: number): Segment[] {
	const g = theme.glyphs;
	const verifying = progress.phase === 'verifying';
	const marker = verifying ? `${g.verifying} verifying` : g.downloading;
	const color: ColorName = verifying ? 'accent' : 'active';
	if (progress.retry) return [{text: `${g.downloading} `, color, bold: true}, {text: retryText(progress.retry, now), color: 'warn', bold: true}];
	if (progress.phase === 'preparing') return [{text: `${g.downloading} connecting`, color}];
	const total = progress.total !== null && progress.total > 0 ? progress.total : null;
	const fraction = total === null ? null : progress.downloaded / total;
	// What a person watching a download needs most comes first: percent, speed, time left; then the bar, then bytes
	// (the size column already gives the total). Each piece costs its widest text plus one space.
	const percent: Piece | undefined = fraction === null ? undefined : {widest: 4, segment: {text: formatPercent(fraction), bold: true}};
	const rate: Piece = {widest: 10, segment: progress.stalled ? {text: 'stalled', color: 'warn', bold: true} : {text: formatRate(progress.rate), color: 'muted'}};
	const eta: Piece | undefined =
		fraction === null || verifying ? undefined : {widest: 10, segment: !progress.stalled && progress.eta !== null ? {text: `ETA ${formatDuration(progress.eta)}`, color: 'muted'} : undefined};
	const bytes: Piece = {widest: 17, segment: {text: formatBytesOf(progress.downloaded, total), color: 'muted'}};
	let used = len(marker);
	const chosen: Piece[] = [];
	let barWidth = 0;
	const take = (piece: Piece | undefined) => {
		if (!piece || used + 1 + piece.widest > width) return;
		chosen.push(piece);
		used += 1 + piece.widest;
	};

	take(percent);
	take(rate);
	take(eta);
	// Unknown size: the bytes so far are all there is to tell, so they come before the (indeterminate) bar.
	if (fraction === null) take(bytes);
	if (used + 1 + MIN_BAR <= width) barWidth = MIN_BAR;
	if (fraction !== null && used + 1 + barWidth + 1 + bytes.widest <= width) take(bytes);
	if (barWidth > 0) barWidth = Math.min(MAX_BAR, width - used - 1);
	const segments: Segment[] = [{text: marker, color, bold: true}];
	if (barWidth > 0) segments.push({text: ' '}, {text: progressBar(fraction, barWidth, theme, progress.downloaded), color});
	for (const piece of chosen) {
		if (!piece.segment) continue;
		// Numbers are right-aligned in their slot so that columns line up across rows.
		const pad = piece === bytes ? 0 : Math.max(0, piece.widest - len(piece.segment.text));
		segments.push({text: ' '.repeat(1 + pad)}, piece.segment);
	}

	return segments;
}

/** The state part of a file row, at most `width` columns. */
export function fileStateSegments(image: Image, progress: Progress | undefined, theme: Theme, width: number, now: number = Date.now()): Segment[] {
	const g = theme.glyphs;
	if (progress) return activeSegments(progress, theme, width, now);
	const partial =
		image.downloadedBytes <= 0 ? '' : image.sizeBytes ? ` ${formatPercent(image.downloadedBytes / image.sizeBytes)}` : ` ${formatBytes(image.downloadedBytes)}`;
	switch (image.status) {
		case 'pending':
			return [{text: `queued${partial}`, color: 'muted'}];
		case 'downloading':
			return [{text: `${g.downloading} starting${partial}`, color: 'active', bold: true}];
		case 'verifying':
			return [{text: `${g.verifying} verifying`, color: 'accent', bold: true}];
		case 'paused':
			return [{text: `${g.paused} paused${partial}`, color: 'warn'}];
		case 'complete':
			// Signed by a keyring key: its own mark, not only a colour.
			if (image.signedByFingerprint) return [{text: `${g.ok} signed`, color: 'ok', bold: true}];
			return isVerified(image) ? [{text: `${g.ok} verified`, color: 'ok'}] : [{text: `${g.ok} unverified`, color: 'warn'}];
		case 'failed':
			return [{text: `${g.fail} ${failureReason(image)}`, color: 'error', bold: true}];
		case 'missing':
			return [{text: 'missing', color: 'error', bold: true}];
	}
}

/** The size shown in a file row: the known total, else what arrived so far. */
export function fileSize(image: Image, progress: Progress | undefined): string {
	const total = progress?.total ?? image.sizeBytes;
	if (total !== null && total > 0) return formatBytes(total);
	if (progress && progress.downloaded > 0) return formatBytes(progress.downloaded);
	return image.status === 'complete' && image.downloadedBytes > 0 ? formatBytes(image.downloadedBytes) : '?';
}

/** "2 files, 1 downloading 43%, 1 queued" for a collapsed group. */
export function groupSummary(ids: readonly string[], byId: ReadonlyMap<string, Image>, progress: ReadonlyMap<string, Progress>): string {
	const counts = {downloading: 0, verifying: 0, queued: 0, paused: 0, failed: 0, missing: 0};
	let done = 0;
	let total = 0;
	let sized = true;
	for (const id of ids) {
		const image = byId.get(id);
		if (!image) continue;
		const p = progress.get(id);
		if (p?.phase === 'verifying' || image.status === 'verifying') counts.verifying++;
		else if (p || image.status === 'downloading') {
			counts.downloading++;
			const t = p?.total ?? image.sizeBytes;
			if (t) {
				total += t;
				done += p?.downloaded ?? image.downloadedBytes;
			} else sized = false;
		} else if (image.status === 'pending') counts.queued++;
		else if (image.status === 'paused') counts.paused++;
		else if (image.status === 'failed') counts.failed++;
		else if (image.status === 'missing') counts.missing++;
	}

	const parts = [`${ids.length} ${ids.length === 1 ? 'file' : 'files'}`];
	if (counts.downloading > 0) parts.push(`${counts.downloading} downloading${sized && total > 0 ? ' ' + formatPercent(done / total) : ''}`);
	if (counts.verifying > 0) parts.push(`${counts.verifying} verifying`);
	if (counts.queued > 0) parts.push(`${counts.queued} queued`);
	if (counts.paused > 0) parts.push(`${counts.paused} paused`);
	if (counts.failed > 0) parts.push(`${counts.failed} failed`);
	if (counts.missing > 0) parts.push(`${counts.missing} missing`);
	return parts.join(', ');
}
