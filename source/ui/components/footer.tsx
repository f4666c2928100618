/**
 * The two bottom lines. The status line shows, by priority: what quitting is doing, the limit or the filter being typed, a
 * transient message (manager notices, command results) or the position in the list; the position stays at the right
 * end beside a message when the line has room for both. The footer shows the key
 * hints of the current mode, generated from the binding table and cut to the width.
 */
import {displayText, messageText, type Image} from '../../core/index.js';
import {Box, Text} from 'ink';
import type {LimitInput, Message} from '../controller.js';
import {describeImage} from '../dialogs.js';
import {footerParts, type Mode} from '../keymap.js';
import type {Theme} from '../theme.js';
import {Line} from './line.js';

export type StatusLineProps = {
	quitting: string | undefined;
	filterEditing: boolean;
	filter: string;
	limit?: LimitInput | undefined;
	message: Message | undefined;
	position: string;
	width: number;
	theme: Theme;
};

export function StatusLine({quitting, filterEditing, filter, limit, message, position, width, theme}: StatusLineProps) {
	let content;
	if (quitting) {
		content = <Text bold>{quitting}</Text>;
	} else if (limit) {
		content = (
			<Text>
				<Text bold color={theme.c('accent')}>
					Limit for {limit.scope === 'image' && limit.image ? displayText(describeImage(limit.image)) : 'all downloads'}:
				</Text>{' '}
				{limit.text}
				<Text inverse> </Text>
				<Text color={limit.error ? theme.c('error') : theme.c('muted')}>{limit.error ? `  ${limit.error}` : '  e.g. 500K, 2M, 1G; empty or 0 = none'}</Text>
			</Text>
		);
	} else if (filterEditing) {
		content = (
			<Text>
				<Text bold color={theme.c('accent')}>
					/
				</Text>
				{displayText(filter)}
				<Text inverse> </Text>
			</Text>
		);
	} else if (message) {
		const color = message.level === 'error' ? 'error' : message.level === 'warn' ? 'warn' : 'ok';
		const marker = message.level === 'error' ? `${theme.glyphs.fail} ` : message.level === 'warn' ? '! ' : '';
		const text = (
			<Text color={theme.c(color)} bold={message.level !== 'info'}>
				{marker}
				{messageText(message.text)}
			</Text>
		);
		// The position stays at the right end while a message is up (a key that moves the selection always shows
		// where it went); the message gives way when the line is too narrow for both.
		const room = position === '' ? 0 : position.length + 2;
		if (room === 0 || width - room < 20) {
			content = text;
		} else {
			return (
				<Box width={width} height={1}>
					<Line width={width - room}>{text}</Line>
					<Line width={room}>
						<Text color={theme.c('muted')}>{`  ${position}`}</Text>
					</Line>
				</Box>
			);
		}
	} else {
		content = <Text color={theme.c('muted')}>{position}</Text>;
	}

	return <Line width={width}>{content}</Line>;
}

/** The hints of the mode; an action that may not run on the selected file now is greyed (its key says why). */
export function Footer({mode, width, theme, selected}: {mode: Mode; width: number; theme: Theme; selected?: Image}) {
	const hints = footerParts(mode, width, theme.ascii, selected);
	return (
		<Line width={width}>
			<Text color={theme.c('muted')}>
				{hints.map((hint, i) => (
					<Text key={hint.text} dimColor={hint.disabled}>
						{i > 0 ? '  ' : ''}
						{hint.text}
					</Text>
				))}
			</Text>
		</Line>
	);
}
