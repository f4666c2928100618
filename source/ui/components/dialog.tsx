/** A modal choice: a title, a few lines, and lettered options; the highlighted one is inverse (Enter picks it). */
import {Box, Text} from 'ink';
import {messageText} from '../../core/index.js';
import type {DialogState} from '../dialogs.js';
import type {Theme} from '../theme.js';

export function Dialog({dialog, width, height, theme}: {dialog: DialogState; width: number; height: number; theme: Theme}) {
	const boxWidth = Math.min(width, Math.max(40, Math.min(90, width - 4)));
	return (
		<Box width={width} height={height} alignItems="center" justifyContent="center">
			<Box flexDirection="column" borderStyle={theme.border} borderColor={theme.c(dialog.kind === 'remove' ? 'error' : 'accent')} width={boxWidth} paddingX={1}>
				<Text bold wrap="truncate-end">
					{messageText(dialog.title)}
				</Text>
				{dialog.lines.map((line, index) => (
					<Text key={index} wrap="truncate-end">
						{messageText(line)}
					</Text>
				))}
				<Box marginTop={1} flexWrap="wrap">
					{dialog.options.map((option, index) => (
						<Box key={option.letter} marginRight={2}>
							<Text inverse={index === dialog.selected} bold={index === dialog.selected}>
								[{option.letter}] {messageText(option.label)}
							</Text>
						</Box>
					))}
				</Box>
			</Box>
		</Box>
	);
}
