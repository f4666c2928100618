/** Top line: library path, free space, active/queued counts, total rate, the filter, and who runs the downloads. */
import {displayText, formatRateLimit} from '../../core/index.js';
import type {Segment} from '../file-state.js';
import {formatBytes, formatRate} from '../format.js';
import type {LibrarySnapshot} from '../store.js';
import {fitSegments} from '../segment-fit.js';
import type {Theme} from '../theme.js';
import {Line} from './line.js';
import {Segments} from './segments.js';

/** What reaches the terminal: control characters shown as text, before the line is cut to its width. */
const sanitised = (segment: Segment): Segment => ({...segment, text: displayText(segment.text)});

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
	const parts: Segment[] = [{text: 'isoman', bold: true, color: 'header'}, {text: sep}];
	if (active > 0 && spinners) parts.push({text: `${spinnerFrame(theme.ascii, snapshot.revision)} `, color: 'active'});
	parts.push({text: `${active} active`, bold: active > 0, color: active > 0 ? 'active' : undefined}, {text: `, ${queued} queued`});
	if (paused > 0) parts.push({text: `, ${paused} paused`});
	if (failed > 0) parts.push({text: ', '}, {text: `${failed} failed`, bold: true, color: 'error'});
	if (marked > 0) parts.push({text: sep}, {text: `${marked} marked`, bold: true, color: 'accent'});
	if (active > 0) parts.push({text: `${sep}${formatRate(rate)}`});
	if (snapshot.maxRate > 0) parts.push({text: sep}, {text: `limit ${formatRateLimit(snapshot.maxRate)}`, bold: true, color: 'warn'});
	if (filter.trim()) parts.push({text: sep}, {text: `filter: ${filter}`, bold: true, color: 'warn'});
	if (!owner) {
		parts.push(
			{text: sep},
			snapshot.ownerGone === undefined ? {text: holderText(holder, daemonPid), bold: true} : {text: `daemon pid ${snapshot.ownerGone} stopped`, bold: true, color: 'error'},
		);
	}

	if (serving) parts.push({text: sep}, {text: `serving ${serving}/images/`, color: 'active'});
	parts.push({text: sep}, {text: `library ${formatBytes(librarySize)}, `}, {text: free === undefined ? 'free space ?' : `${formatBytes(free)} free`}, {text: sep}, {text: dataDir});
	return (
		<Line width={width}>
			<Segments segments={fitSegments(parts.map(sanitised), width, theme.glyphs.ellipsis)} theme={theme} />
		</Line>
	);
}
