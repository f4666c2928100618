/** The add form (and the edit form: the same, pre-filled): one line per field, the error of a field right under it, and where the file will be stored. */
import type {ReactElement} from 'react';
import {Box, Text} from 'ink';
import {displayText, messageText, prepareAdd} from '../../core/index.js';
import {FIELD_LABELS, FIELD_PLACEHOLDERS, FORM_FIELDS, liveErrors, toAddInput, urlCheckText, type FormState} from '../add-form.js';
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
		let atCursor = ' ';
		let afterCursor = '';
		if (value === '') shown = '';
		else if (focused) {
			// A window of the value around the cursor; the character under the cursor is drawn inverse.
			const all = [...state.values[field]];
			const cursor = Math.max(0, Math.min(state.cursor, all.length));
			const room = Math.max(4, valueWidth - 2);
			const start = Math.max(0, Math.min(cursor - Math.floor(room * 0.7), all.length + 1 - room));
			const piece = (from: number, to: number) => displayText(all.slice(Math.max(0, from), Math.max(0, to)).join(''));
			shown = (start > 0 ? g.ellipsis : '') + piece(start + (start > 0 ? 1 : 0), cursor);
			atCursor = cursor < all.length ? piece(cursor, cursor + 1) : ' ';
			const end = start + room;
			afterCursor = piece(cursor + 1, Math.min(all.length, end)) + (all.length > end ? g.ellipsis : '');
		} else shown = truncate(value, valueWidth, g.ellipsis);
		lines.push(
			<Text key={field} wrap="truncate-end">
				<Text bold={focused} color={focused ? theme.c('accent') : undefined}>
					{focused ? g.selected : ' '} {FIELD_LABELS[field].padEnd(LABEL)}
				</Text>
				{shown}
				{focused ? <Text inverse>{atCursor}</Text> : null}
				{focused ? afterCursor : null}
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
			const check = urlCheckText(state);
			if (check && !errors.url) {
				lines.push(
					<Text key="url-check" color={check.ok ? theme.c('muted') : theme.c('warn')} wrap="truncate-end">
						{' '.repeat(LABEL + 2)}
						{check.ok ? '' : `${g.fail} `}
						{messageText(check.text)}
					</Text>,
				);
			}
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
				{state.editing ? 'Edit the image' : 'Add an image'}{' '}
				<Text color={theme.c('muted')}>({state.editing ? 'Enter saves what changed' : 'Enter adds'}, Esc cancels, Tab moves, ←→ Home End Ctrl-W edit)</Text>
			</Text>
			{lines}
		</Box>
	);
}
