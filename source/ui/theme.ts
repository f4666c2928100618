/**
 * The one place colours and glyphs are chosen. Without colour (NO_COLOR, --no-color) every colour is undefined
 * but bold, inverse and the text markers stay, so the selection and states remain visible. With --ascii (or a
 * non-UTF-8 locale) markers, bars and borders use ASCII only.
 */
import type {UiOptions} from './ui-options.js';

export type ColorName = 'accent' | 'ok' | 'warn' | 'error' | 'active' | 'muted' | 'header';

export type Glyphs = {
	expanded: string;
	collapsed: string;
	selected: string;
	/** Beside a row marked for a bulk action. */
	marked: string;
	downloading: string;
	verifying: string;
	paused: string;
	ok: string;
	fail: string;
	missing: string;
	barFull: string;
	barEmpty: string;
	barOpen: string;
	barClose: string;
	separator: string;
	ellipsis: string;
	up: string;
	down: string;
	left: string;
	right: string;
};

export type Theme = {
	color: boolean;
	ascii: boolean;
	/** A colour for Ink's `color` prop, or undefined without colours. */
	c(name: ColorName): string | undefined;
	glyphs: Glyphs;
	border: 'single' | 'classic';
};

const COLORS: Record<ColorName, string> = {
	accent: 'cyan',
	ok: 'green',
	warn: 'yellow',
	error: 'red',
	active: 'blue',
	muted: 'gray',
	header: 'magenta',
};

const UNICODE: Glyphs = {
	expanded: '▾',
	collapsed: '▸',
	selected: '›',
	marked: '●',
	downloading: '▶',
	verifying: '⟳',
	paused: '⏸',
	ok: '✓',
	fail: '✗',
	missing: '?',
	barFull: '█',
	barEmpty: '░',
	barOpen: '',
	barClose: '',
	separator: '│',
	ellipsis: '…',
	up: '↑',
	down: '↓',
	left: '←',
	right: '→',
};

const ASCII: Glyphs = {
	expanded: '-',
	collapsed: '+',
	selected: '>',
	marked: '*',
	downloading: '>',
	verifying: '~',
	paused: '||',
	ok: 'ok',
	fail: 'x',
	missing: '?',
	barFull: '#',
	barEmpty: '-',
	barOpen: '[',
	barClose: ']',
	separator: '|',
	ellipsis: '~',
	up: 'Up',
	down: 'Down',
	left: 'Left',
	right: 'Right',
};

export function createTheme(options: Pick<UiOptions, 'color' | 'ascii'>): Theme {
	return {
		color: options.color,
		ascii: options.ascii,
		c: name => (options.color ? COLORS[name] : undefined),
		glyphs: options.ascii ? ASCII : UNICODE,
		border: options.ascii ? 'classic' : 'single',
	};
}
