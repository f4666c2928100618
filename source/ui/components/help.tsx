/** The `?` overlay: every binding of the table, by mode, scrollable. */
import {Box, Text} from 'ink';
import {BINDINGS, MODE_TITLES, bindingsFor, keysLabel, type Mode} from '../keymap.js';
import type {Theme} from '../theme.js';

type Line = {kind: 'title' | 'binding'; keys?: string; text: string};

export function helpLines(ascii: boolean): Line[] {
	const lines: Line[] = [];
	lines.push({kind: 'title', text: 'Anywhere'});
	for (const binding of BINDINGS.filter(b => b.modes === 'all')) lines.push({kind: 'binding', keys: keysLabel(binding, ascii), text: binding.description});
	for (const mode of Object.keys(MODE_TITLES) as Mode[]) {
		lines.push({kind: 'title', text: MODE_TITLES[mode]});
		for (const binding of bindingsFor(mode)) lines.push({kind: 'binding', keys: keysLabel(binding, ascii), text: binding.description});
	}

	return lines;
}

export function Help({scroll, width, height, theme}: {scroll: number; width: number; height: number; theme: Theme}) {
	const lines = helpLines(theme.ascii);
	const bodyHeight = Math.max(1, height - 1);
	const keyWidth = Math.min(24, Math.max(...lines.map(line => (line.keys ?? '').length)) + 2);
	const start = Math.max(0, Math.min(scroll, lines.length - bodyHeight));
	const more = lines.length > bodyHeight ? ` (${start + 1}-${Math.min(lines.length, start + bodyHeight)} of ${lines.length}; ${theme.glyphs.up}${theme.glyphs.down} scroll)` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<Text bold wrap="truncate-end">
				Keys{more} <Text color={theme.c('muted')}>Esc closes</Text>
			</Text>
			{lines.slice(start, start + bodyHeight).map((line, index) =>
				line.kind === 'title' ? (
					<Text key={index} bold color={theme.c('accent')} wrap="truncate-end">
						{line.text}
					</Text>
				) : (
					<Text key={index} wrap="truncate-end">
						{'  '}
						<Text bold>{(line.keys ?? '').padEnd(keyWidth)}</Text>
						{line.text}
					</Text>
				),
			)}
		</Box>
	);
}
