/**
 * The details of the selected file (or a summary of the selected group): identity, path, source, checksum source
 * and digests, status and error, sizes, times, attempts, and the last events of its audit log.
 */
import {useMemo, type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {displayText, imageUrl, messageText, redactUrl, servedText, shortFingerprint, signedByOf, type AuditEvent, type Image, type Progress} from '../../core/index.js';
import {fileStateSegments, groupSummary} from '../file-state.js';
import {formatBytes, formatBytesOf, formatTimestamp, truncateMiddle} from '../format.js';
import type {LibrarySnapshot} from '../store.js';
import type {Theme} from '../theme.js';
import type {Row} from '../tree.js';
import {Segments} from './segments.js';

export type DetailsProps = {
	row: Row | undefined;
	snapshot: LibrarySnapshot;
	events: (id: string, limit: number) => AuditEvent[];
	/** The daemon's URL when it serves the library: complete images show theirs. */
	serverUrl?: string;
	width: number;
	height: number;
	theme: Theme;
};

const LABEL = 10;

function Field({label, children, theme, wrap = 'truncate-end'}: {label: string; children: ReactNode; theme: Theme; wrap?: 'wrap' | 'truncate-end'}) {
	return (
		<Box>
			<Box width={LABEL} flexShrink={0}>
				<Text color={theme.c('muted')}>{label}</Text>
			</Box>
			<Box flexGrow={1} flexShrink={1}>
				<Text wrap={wrap}>{typeof children === 'string' ? messageText(children) : children}</Text>
			</Box>
		</Box>
	);
}

function checksumSource(image: Image): string {
	if (image.checksumUrl) return `file ${redactUrl(image.checksumUrl)}`;
	if (image.expectedChecksum && !image.checksumUrl) return 'digest given when added';
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

function FileDetails({image, progress, events, serverUrl, width, height, theme}: {image: Image; progress: Progress | undefined; events: AuditEvent[]; serverUrl?: string; width: number; height: number; theme: Theme}) {
	const valueWidth = Math.max(10, width - LABEL - 1);
	// Shown through messageText before it is cut, so that the cut counts what is on the screen.
	const url = (s: string) => truncateMiddle(messageText(s), valueWidth, theme.glyphs.ellipsis);
	const size = image.sizeBytes === null ? 'unknown' : formatBytes(image.sizeBytes);
	const downloaded = progress ? progress.downloaded : image.downloadedBytes;
	const lines = [
		<Text key="title" bold wrap="truncate-end">
			{displayText(`${image.name} ${image.version}`)}
		</Text>,
		<Field key="what" label="File" theme={theme}>
			{`arch ${image.arch}, edition ${image.edition ?? 'none'}, type ${image.fileType}`}
		</Field>,
		<Field key="status" label="Status" theme={theme}>
			<Segments segments={fileStateSegments(image, progress, theme, valueWidth)} theme={theme} />
			<Text color={theme.c('muted')}> ({image.status})</Text>
		</Field>,
	];
	if (image.errorMessage) {
		lines.push(
			<Field key="error" label="Error" theme={theme} wrap="wrap">
				<Text color={theme.c('error')}>
					{image.errorCode ? `${displayText(image.errorCode)}: ` : ''}
					{messageText(image.errorMessage)}
				</Text>
			</Field>,
		);
	}

	lines.push(
		<Field key="size" label="Size" theme={theme}>
			{image.status === 'complete' ? size : `${size}, ${formatBytesOf(downloaded, image.sizeBytes)} downloaded`}
		</Field>,
		<Field key="path" label="Path" theme={theme}>
			{url(`images/${image.filePath}`)}
		</Field>,
		...(serverUrl && image.status === 'complete'
			? [
					<Field key="url" label="URL" theme={theme} wrap="wrap">
						{imageUrl(serverUrl, image.filePath)}
					</Field>,
				]
			: []),
		<Field key="served" label="Served" theme={theme}>
			{servedText(image, formatBytes)}
		</Field>,
		<Field key="source" label="Source" theme={theme}>
			{url(redactUrl(image.downloadUrl))}
		</Field>,
		<Field key="checksum" label="Checksum" theme={theme}>
			{url(`${checksumSource(image)}${image.checksumType ? ` (${image.checksumType})` : ''}`)}
		</Field>,
		<Field key="signature" label="Signature" theme={theme} wrap="wrap">
			{image.signedByFingerprint ? <Text color={theme.c('ok')}>{messageText(signatureText(image))}</Text> : signatureText(image)}
		</Field>,
		<Field key="expected" label="Expected" theme={theme} wrap="wrap">
			{image.expectedChecksum ?? '-'}
		</Field>,
		<Field key="actual" label="Actual" theme={theme} wrap="wrap">
			{image.checksum ?? '-'}
		</Field>,
		<Field key="added" label="Added" theme={theme}>
			{formatTimestamp(image.createdAt)}
		</Field>,
		<Field key="updated" label="Updated" theme={theme}>
			{formatTimestamp(image.updatedAt)}
		</Field>,
	);
	if (image.completedAt) {
		lines.push(
			<Field key="completed" label="Completed" theme={theme}>
				{formatTimestamp(image.completedAt)}
			</Field>,
		);
	}

	if (image.verifiedAt) {
		lines.push(
			<Field key="verified" label="Verified" theme={theme}>
				{formatTimestamp(image.verifiedAt)}
			</Field>,
		);
	}

	lines.push(
		<Field key="attempts" label="Attempts" theme={theme}>
			{String(image.attempts)}
		</Field>,
		<Field key="id" label="Id" theme={theme}>
			{image.id}
		</Field>,
	);
	if (events.length > 0) {
		lines.push(
			<Text key="events" bold>
				Events
			</Text>,
			...events.map(event => (
				<Text key={`e${event.id}`} wrap="truncate-end">
					<Text color={theme.c('muted')}>{formatTimestamp(event.ts)} </Text>
					{displayText(event.kind)}
					{event.detail ? ` ${messageText(event.detail)}` : ''}
				</Text>
			)),
		);
	}

	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			{lines}
		</Box>
	);
}

export function Details({row, snapshot, events: readEvents, serverUrl, width, height, theme}: DetailsProps) {
	const image = row?.kind === 'file' ? snapshot.byId.get(row.key) : undefined;
	const eventCount = Math.max(0, Math.min(10, height - 16));
	// The audit log is re-read only when the image itself changed.
	const events = useMemo(
		() => (image && eventCount > 0 ? readEvents(image.id, eventCount) : []),
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[image?.id, image?.updatedAt, image?.status, eventCount, readEvents],
	);
	if (image) return <FileDetails image={image} progress={snapshot.progress.get(image.id)} events={events} serverUrl={serverUrl} width={width} height={height} theme={theme} />;
	if (!row) {
		return (
			<Box width={width} height={height}>
				<Text color={theme.c('muted')}>Nothing selected.</Text>
			</Box>
		);
	}

	const files = row.imageIds.map(id => snapshot.byId.get(id)).filter((i): i is Image => i !== undefined);
	const total = files.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0);
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<Text bold wrap="truncate-end">
				{displayText(row.kind === 'name' ? row.label : `${row.parent?.slice(2) ?? ''} ${row.label}`)}
			</Text>
			<Field label="Files" theme={theme}>
				{groupSummary(row.imageIds, snapshot.byId, snapshot.progress)}
			</Field>
			<Field label="Size" theme={theme}>
				{formatBytes(total)}
			</Field>
			<Text color={theme.c('muted')} wrap="truncate-end">
				Select a file for its details.
			</Text>
		</Box>
	);
}
