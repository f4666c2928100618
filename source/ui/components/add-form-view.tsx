/** The add form: one line per field, the error of a field right under it, and where the file will be stored. */
import type {ReactElement} from 'react';
import {Box, Text} from 'ink';
import {displayText, messageText, prepareAdd} from '../../core/index.js';
import {FIELD_LABELS, FIELD_PLACEHOLDERS, FORM_FIELDS, liveErrors, toAddInput, type FormState} from '../add-form.js';
import {truncate} from '../format.js';
import type {Theme} from '../theme.js';

const LABEL = 10;

function previewPath(state: FormState): string | undefined {
	try {
		return prepareAdd(toAddInput(state)).filePath;
	} catch {
		return undefined;
	}
}

export function AddFormView({state, width, height, theme}: {state: FormState; width: number; height: number; theme: Theme}) {
	const errors = liveErrors(state);
	const valueWidth = Math.max(8, width - LABEL - 6);
	const g = theme.glyphs;
	const lines: ReactElement[] = [];
	const errorLine = (key: string, text: string | undefined) => {
		if (!text) return;
		lines.push(
			<Text key={`${key}-error`} color={theme.c('error')} bold wrap="truncate-end">
				{' '.repeat(LABEL + 2)}
				{g.fail} {messageText(text)}
			</Text>,
		);
	};

	FORM_FIELDS.forEach((field, index) => {
		const focused = index === state.focus;
		const value = displayText(state.values[field]);
		let shown: string;
		if (value === '') shown = '';
		else if (focused) shown = [...value].length >= valueWidth ? g.ellipsis + [...value].slice(-(valueWidth - 2)).join('') : value;
		else shown = truncate(value, valueWidth, g.ellipsis);
		lines.push(
			<Text key={field} wrap="truncate-end">
				<Text bold={focused} color={focused ? theme.c('accent') : undefined}>
					{focused ? g.selected : ' '} {FIELD_LABELS[field].padEnd(LABEL)}
				</Text>
				{shown}
				{focused ? <Text inverse> </Text> : null}
				{value === '' ? <Text color={theme.c('muted')} dimColor>{` ${FIELD_PLACEHOLDERS[field]}`}</Text> : null}
			</Text>,
		);
		errorLine(field, errors[field]);
		if (field === 'signature' && state.signatureNote && !errors.signature) {
			lines.push(
				<Text key="signature-note" color={theme.c('muted')} wrap="truncate-end">
					{' '.repeat(LABEL + 2)}
					{messageText(state.signatureNote)}
				</Text>,
			);
		}

		if (field === 'url') {
			lines.push(
				<Text key="type" wrap="truncate-end">
					{'  '}
					<Text color={theme.c('muted')}>{FIELD_LABELS.type.padEnd(LABEL)}</Text>
					{state.fileType ?? <Text color={theme.c('muted')}>from the URL</Text>}
				</Text>,
			);
			errorLine('type', errors.type);
		}
	});

	const target = previewPath(state);
	lines.push(
		<Text key="target" color={theme.c('muted')} wrap="truncate-end">
			{'  '}
			{target ? `Saved as images/${target}` : ' '}
		</Text>,
	);
	errorLine('form', errors.form);
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden" borderStyle={theme.border} borderColor={theme.c('accent')} paddingX={1}>
			<Text bold wrap="truncate-end">
				Add an image <Text color={theme.c('muted')}>(Enter adds, Esc cancels, Tab moves)</Text>
			</Text>
			{lines}
		</Box>
	);
}
