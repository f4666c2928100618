/**
 * The details of the selected file (or group) as a list of screen lines, already wrapped to the width: the view
 * shows a window of them (scrollable, never overlapping, clipped cleanly at the bottom). Pure.
 *
 * Long values (URLs, the absolute path, digests, error messages) wrap onto continuation lines under their value
 * column instead of being cut, so a digest can be compared by eye and a path read whole.
 */
import path from 'node:path';
import {displayText, imageUrl, messageText, redactUrl, servedText, shortFingerprint, signedByOf, type AuditEvent, type Image, type Progress} from '../core/index.js';
import {fileStateSegments, groupSummary, retryText, type Segment} from './file-state.js';
import {formatBytes, formatBytesOf, formatTimestamp} from './format.js';
import type {LibrarySnapshot} from './store.js';
import type {Theme} from './theme.js';
import type {Row} from './tree.js';

export type DetailLine = readonly Segment[];

/** Width of the label column ("Expected  "). */
export const LABEL_WIDTH = 10;

const len = (s: string) => [...s].length;

/**
 * Cut `text` into lines of at most `width` columns: at a space when there is one in the second half of the line
 * (prose), else hard (URLs, digests). Newlines and tabs in `text` become spaces.
 */
export function wrapText(text: string, width: number): string[] {
	const chars = [...text.replaceAll(/[\r\n\t]/g, ' ')];
	if (width <= 0) return [];
	const lines: string[] = [];
	let start = 0;
	while (start < chars.length) {
		let end = Math.min(chars.length, start + width);
		if (end < chars.length) {
			const space = chars.lastIndexOf(' ', end);
			if (space > start + width / 2) end = space + 1;
		}

		lines.push(chars.slice(start, end).join('').trimEnd());
		start = end;
		while (chars[start] === ' ' && start < chars.length) start++;
	}

	return lines.length === 0 ? [''] : lines;
}

export type DetailsInput = {
	row: Row | undefined;
	snapshot: LibrarySnapshot;
	events: readonly AuditEvent[];
	imagesDir: string;
	/** The daemon's URL when it serves the library: complete images show theirs. */
	serverUrl?: string;
	width: number;
	theme: Theme;
	now?: number;
};

function checksumSource(image: Image): string {
	if (image.checksumUrl) return `file ${redactUrl(image.checksumUrl)}`;
	if (image.expectedChecksum) return 'digest given when added';
	return 'none (the digest is recorded, unverified)';
}

/** "signed by Debian CD signing key <…>, 64A2…2FFB, on 2026-11-09", or what is asked of a signature. */
export function signatureText(image: Image): string {
	const signed = signedByOf(image);
	if (signed) return `signed by ${signed.userId || '(no user ID)'}, ${shortFingerprint(signed.fingerprint)}, on ${signed.signedAt.slice(0, 10)}`;
	const rules = [image.signingKey ? `only key ${shortFingerprint(image.signingKey)}` : '', image.requireSignature ? 'required' : ''].filter(Boolean).join(', ');
	const what = image.signatureUrl ? `file ${redactUrl(image.signatureUrl)}` : image.checksumUrl ? 'none (a clear-signed checksum file is checked)' : 'none';
	return rules ? `${what} (${rules})` : what;
}

/** The absolute path of an image's file (where it is, or will be once downloaded). */
export function absolutePath(imagesDir: string, image: Pick<Image, 'filePath'>): string {
	return path.join(imagesDir, image.filePath);
}

/** Longest error shown (a server's message can be long; the log and `isoman show` have it whole). */
const MAX_ERROR = 600;

function errorText(image: Image): string {
	// The digests are on their own lines below (Expected, Actual): do not repeat them in the error.
	if (image.errorCode === 'checksum_mismatch' && image.expectedChecksum && image.checksum) {
		return `checksum mismatch: the downloaded file's ${image.checksumType ?? 'digest'} is not the expected one (compare Expected and Actual below); r retries`;
	}

	const text = `${image.errorCode ? `${image.errorCode}: ` : ''}${image.errorMessage ?? ''}`;
	return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text;
}

class Lines {
	readonly lines: DetailLine[] = [];
	constructor(
		private readonly width: number,
		private readonly theme: Theme,
	) {}

	title(text: string): void {
		this.lines.push([{text: displayText(text), bold: true}]);
	}

	/** A labelled value; long values wrap under the value column. */
	field(label: string, value: string | readonly Segment[], color?: Segment['color']): void {
		const valueWidth = Math.max(8, this.width - LABEL_WIDTH);
		const labelSegment: Segment = {text: label.padEnd(LABEL_WIDTH), color: 'muted'};
		if (typeof value !== 'string') {
			this.lines.push([labelSegment, ...value]);
			return;
		}

		// Sanitised (and passwords in URLs hidden) before wrapping, so the wrap counts what is on the screen.
		wrapText(messageText(value), valueWidth).forEach((text, index) => {
			this.lines.push([index === 0 ? labelSegment : {text: ' '.repeat(LABEL_WIDTH)}, {text, color}]);
		});
	}

	text(text: string, color?: Segment['color']): void {
		for (const line of wrapText(messageText(text), this.width)) this.lines.push([{text: line, color}]);
	}
}

function fileLines(image: Image, progress: Progress | undefined, input: DetailsInput): DetailLine[] {
	const {width, theme, events, imagesDir} = input;
	const out = new Lines(width, theme);
	const valueWidth = Math.max(8, width - LABEL_WIDTH);
	out.title(`${image.name} ${image.version}`);
	out.field('File', `arch ${image.arch}, edition ${image.edition ?? 'none'}, type ${image.fileType}`);
	out.field('Status', [...fileStateSegments(image, progress, theme, valueWidth - len(image.status) - 3, input.now), {text: ` (${image.status})`, color: 'muted'}]);
	if (progress?.retry) {
		out.field('Retry', retryText(progress.retry, input.now), 'warn');
		out.field('Last error', progress.retry.reason, 'warn');
	}

	if (image.errorMessage) out.field('Error', errorText(image), 'error');
	const size = image.sizeBytes === null ? 'unknown' : formatBytes(image.sizeBytes);
	const downloaded = progress ? progress.downloaded : image.downloadedBytes;
	out.field('Size', image.status === 'complete' ? size : `${size}, ${formatBytesOf(downloaded, image.sizeBytes)} downloaded`);
	out.field('Path', absolutePath(imagesDir, image));
	if (input.serverUrl && image.status === 'complete') out.field('URL', imageUrl(input.serverUrl, image.filePath));
	out.field('Served', servedText(image, formatBytes));
	out.field('Source', redactUrl(image.downloadUrl));
	out.field('Checksum', `${checksumSource(image)}${image.checksumType ? ` (${image.checksumType})` : ''}`);
	out.field('Signature', signatureText(image), image.signedByFingerprint ? 'ok' : undefined);
	out.field('Expected', image.expectedChecksum ?? '-');
	out.field('Actual', image.checksum ?? '-', image.expectedChecksum && image.checksum && image.checksum !== image.expectedChecksum ? 'error' : undefined);
	out.field('Added', formatTimestamp(image.createdAt));
	out.field('Updated', formatTimestamp(image.updatedAt));
	if (image.completedAt) out.field('Completed', formatTimestamp(image.completedAt));
	if (image.verifiedAt) out.field('Verified', formatTimestamp(image.verifiedAt));
	out.field('Attempts', String(image.attempts));
	out.field('Id', image.id);
	if (events.length > 0) {
		out.title('Events');
		for (const event of events) {
			out.lines.push([{text: `${formatTimestamp(event.ts)} `, color: 'muted'}, {text: `${displayText(event.kind)}${event.detail ? ` ${messageText(event.detail)}` : ''}`}]);
		}
	}

	return out.lines;
}

/** Every line of the details for the selected row. */
export function detailLines(input: DetailsInput): DetailLine[] {
	const {row, snapshot, width, theme} = input;
	const image = row?.kind === 'file' ? snapshot.byId.get(row.key) : undefined;
	if (image) return fileLines(image, snapshot.progress.get(image.id), input);
	const out = new Lines(width, theme);
	if (!row) {
		out.text('Nothing selected.', 'muted');
		return out.lines;
	}

	const files = row.imageIds.map(id => snapshot.byId.get(id)).filter((i): i is Image => i !== undefined);
	const total = files.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0);
	out.title(row.kind === 'name' ? row.label : `${row.parent?.slice(2) ?? ''} ${row.label}`);
	out.field('Files', groupSummary(row.imageIds, snapshot.byId, snapshot.progress));
	out.field('Size', formatBytes(total));
	out.text('Select a file for its details.', 'muted');
	return out.lines;
}
