/** Top line: library path, free space, active/queued counts, total rate, the filter, and who runs the downloads. */
import {Box, Text} from 'ink';
import {displayText, formatRateLimit} from '../../core/index.js';
import {formatBytes, formatRate} from '../format.js';
import type {LibrarySnapshot} from '../store.js';
import type {Theme} from '../theme.js';

export type HeaderProps = {
	snapshot: LibrarySnapshot;
	dataDir: string;
	free: number | undefined;
	filter: string;
	daemonPid: number | undefined;
	/** Who runs the downloads when this process does not (from the library lock). */
	holder?: {role: string; pid: number};
	owner: boolean;
	/** The daemon's URL when it serves the library over HTTP. */
	serving?: string;
	/** Images marked for a bulk action. */
	marked?: number;
	width: number;
	theme: Theme;
	spinners: boolean;
};

/**
 * The activity spinner's frames (cli-spinners' `dots` and `line`). It advances one frame per published library
 * snapshot — that is, with the progress ticks (at most 10 a second) — instead of on its own 80 ms timer: every tick
 * of a timer is a whole-screen render (React commit, Ink layout and output), and a spinner timer beside the
 * progress ticks nearly doubled the frames drawn with downloads active (bench item 5, TUI CPU).
 */
const SPINNER_FRAMES = {dots: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'], line: ['-', '\\', '|', '/']};

export function spinnerFrame(ascii: boolean, revision: number): string {
	const frames = ascii ? SPINNER_FRAMES.line : SPINNER_FRAMES.dots;
	return frames[revision % frames.length]!;
}

/** "downloads run in TUI pid 123" (another terminal's TUI), "… in daemon pid 456". */
export function holderText(holder: {role: string; pid: number} | undefined, daemonPid: number | undefined): string {
	const pid = holder?.pid ?? daemonPid;
	const role = holder?.role === 'tui' ? 'TUI' : (holder?.role ?? 'daemon');
	return pid === undefined ? 'downloads run in another isoman' : `downloads run in ${role} pid ${pid}`;
}

export function Header({snapshot, dataDir, free, filter, daemonPid, holder, owner, serving, marked = 0, width, theme, spinners}: HeaderProps) {
	let active = 0;
	let queued = 0;
	let paused = 0;
	let failed = 0;
	let librarySize = 0;
	for (const image of snapshot.images) {
		if (image.status === 'downloading' || image.status === 'verifying' || snapshot.progress.has(image.id)) active++;
		else if (image.status === 'pending') queued++;
		else if (image.status === 'paused') paused++;
		else if (image.status === 'failed' || image.status === 'missing') failed++;
		if (image.status === 'complete') librarySize += image.sizeBytes ?? image.downloadedBytes;
	}

	let rate = 0;
	for (const p of snapshot.progress.values()) if (p.phase === 'downloading') rate += p.rate;
	const sep = ` ${theme.glyphs.separator} `;
	// Most important first: the line is cut at the right edge.
	return (
		<Box width={width} height={1}>
			<Text wrap="truncate-end">
				<Text bold color={theme.c('header')}>
					isoman
				</Text>
				{sep}
				{active > 0 && spinners ? (
					<Text color={theme.c('active')}>{`${spinnerFrame(theme.ascii, snapshot.revision)} `}</Text>
				) : null}
				<Text bold={active > 0} color={active > 0 ? theme.c('active') : undefined}>
					{active} active
				</Text>
				{`, ${queued} queued`}
				{paused > 0 ? `, ${paused} paused` : ''}
				{failed > 0 ? (
					<Text>
						{', '}
						<Text bold color={theme.c('error')}>
							{failed} failed
						</Text>
					</Text>
				) : null}
				{marked > 0 ? (
					<Text>
						{sep}
						<Text bold color={theme.c('accent')}>
							{marked} marked
						</Text>
					</Text>
				) : null}
				{active > 0 ? `${sep}${formatRate(rate)}` : ''}
				{snapshot.maxRate > 0 ? (
					<Text>
						{sep}
						<Text bold color={theme.c('warn')}>
							limit {formatRateLimit(snapshot.maxRate)}
						</Text>
					</Text>
				) : null}
				{filter.trim() ? (
					<Text>
						{sep}
						<Text bold color={theme.c('warn')}>
							filter: {displayText(filter)}
						</Text>
					</Text>
				) : null}
				{owner ? null : (
					<Text>
						{sep}
						{snapshot.ownerGone === undefined ? (
							<Text bold>{holderText(holder, daemonPid)}</Text>
						) : (
							<Text bold color={theme.c('error')}>
								daemon pid {snapshot.ownerGone} stopped
							</Text>
						)}
					</Text>
				)}
				{serving ? (
					<Text>
						{sep}
						<Text color={theme.c('active')}>serving {serving}/images/</Text>
					</Text>
				) : null}
				{sep}
				{`library ${formatBytes(librarySize)}, `}
				{free === undefined ? 'free space ?' : `${formatBytes(free)} free`}
				{sep}
				{displayText(dataDir)}
			</Text>
		</Box>
	);
}
