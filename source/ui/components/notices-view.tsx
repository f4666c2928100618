/** The notices view (`n`): the last 200 notices and events, newest at the bottom, scrollable; Esc closes. */
import {useLayoutEffect} from 'react';
import {Box, Text} from 'ink';
import {messageText} from '../../core/index.js';
import {wrapText} from '../details-lines.js';
import type {LoggedNotice} from '../notice-log.js';
import type {Theme} from '../theme.js';

const time = (ts: number) => {
	const d = new Date(ts);
	const p = (n: number) => String(n).padStart(2, '0');
	return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

type Line = {key: string; time: string; level: LoggedNotice['level']; text: string};

/** The notices as screen lines (long ones wrapped under their text column). */
export function noticeLines(notices: readonly LoggedNotice[], width: number): Line[] {
	const lines: Line[] = [];
	const textWidth = Math.max(10, width - 11);
	notices.forEach((notice, index) => {
		wrapText(messageText(notice.text), textWidth).forEach((text, part) => {
			lines.push({key: `${index}.${part}`, time: part === 0 ? time(notice.ts) : '', level: notice.level, text});
		});
	});
	return lines;
}

/** `scroll` counts lines up from the newest (0 = the end is shown). */
export function NoticesView({
	notices,
	scroll,
	width,
	height,
	theme,
	onLines,
}: {
	notices: readonly LoggedNotice[];
	scroll: number;
	width: number;
	height: number;
	theme: Theme;
	/** Told how many lines there are, after the frame is committed (so the controller can bound scrolling). */
	onLines?: (count: number) => void;
}) {
	const lines = noticeLines(notices, width);
	useLayoutEffect(() => onLines?.(lines.length), [onLines, lines.length]);
	const body = Math.max(1, height - 1);
	const end = Math.max(0, lines.length - Math.max(0, Math.min(scroll, lines.length - body)));
	const start = Math.max(0, end - body);
	const shown = lines.slice(start, end);
	const range = lines.length > body ? ` (${start + 1}-${end} of ${lines.length} lines; ${theme.glyphs.up}${theme.glyphs.down} scroll)` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<Text bold wrap="truncate-end">
				Notices: last {notices.length}
				{range} <Text color={theme.c('muted')}>Esc closes</Text>
			</Text>
			{shown.length === 0 ? <Text color={theme.c('muted')}>Nothing yet: downloads that finish or fail, and every message, are listed here.</Text> : null}
			{shown.map(line => (
				<Box key={line.key} height={1} flexShrink={0}>
					<Text wrap="truncate-end">
						<Text color={theme.c('muted')}>{line.time.padEnd(9)}</Text>
						{'  '}
						<Text color={line.level === 'error' ? theme.c('error') : line.level === 'warn' ? theme.c('warn') : undefined} bold={line.level !== 'info'}>
							{line.text}
						</Text>
					</Text>
				</Box>
			))}
		</Box>
	);
}
