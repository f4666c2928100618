/**
 * Raw terminal input → key names. Ink 6's own parser reports Backspace (0x7F) and the Delete key (ESC[3~) both
 * as `key.delete`; reading the sequence ourselves tells them apart, so Delete can mean "remove" while Backspace
 * edits text. Ink's input parser has already split escape sequences from text, so `data` is one escape
 * sequence or one run of characters (typed fast or pasted).
 *
 * Key names: printable characters are themselves (`j`, `G`, `/`, `?`, ` `); the rest are `up down left right
 * home end pageup pagedown insert delete backspace enter escape tab shift+tab f1…f12 ctrl+<letter> meta+<char>`.
 * A run of several printable characters is one event named `text`.
 */
export type KeyEvent = {name: string; text?: string};

const CSI_LETTER: Record<string, string> = {A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', Z: 'shift+tab', P: 'f1', Q: 'f2', R: 'f3', S: 'f4'};
const SS3_LETTER: Record<string, string> = {A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', P: 'f1', Q: 'f2', R: 'f3', S: 'f4', M: 'enter'};
const TILDE: Record<string, string> = {
	'1': 'home',
	'2': 'insert',
	'3': 'delete',
	'4': 'end',
	'5': 'pageup',
	'6': 'pagedown',
	'7': 'home',
	'8': 'end',
	'11': 'f1',
	'12': 'f2',
	'13': 'f3',
	'14': 'f4',
	'15': 'f5',
	'17': 'f6',
	'18': 'f7',
	'19': 'f8',
	'20': 'f9',
	'21': 'f10',
	'23': 'f11',
	'24': 'f12',
};

function parseEscape(seq: string): KeyEvent {
	if (seq === '\x1b' || seq === '\x1b\x1b') return {name: 'escape'};
	if (seq === '\x1b[[A') return {name: 'f1'}; // Linux console
	if (seq === '\x1b\x7f' || seq === '\x1b\b') return {name: 'meta+backspace'};
	// A double ESC before a sequence is Alt/Meta + that key: treat it as the key.
	const body = seq.startsWith('\x1b\x1b') ? seq.slice(1) : seq;
	let m = /^\x1b\[(?:\d+;\d+)?([A-DHFPQRSZ])$/.exec(body);
	if (m) return {name: CSI_LETTER[m[1]!]!};
	m = /^\x1bO\d*([A-DHFMPQRS])$/.exec(body);
	if (m) return {name: SS3_LETTER[m[1]!]!};
	m = /^\x1b\[(\d+)(?:;\d+)?[~$^]$/.exec(body);
	if (m) return {name: TILDE[m[1]!] ?? 'unknown'};
	if (body.length === 2) return {name: `meta+${body[1]!}`};
	return {name: 'unknown'};
}

function controlName(ch: string): string | undefined {
	const code = ch.charCodeAt(0);
	if (ch === '\r' || ch === '\n') return 'enter';
	if (ch === '\t') return 'tab';
	if (ch === '\x7f' || ch === '\b') return 'backspace';
	if (code === 0) return 'ignore';
	if (code < 27) return `ctrl+${String.fromCharCode(code + 96)}`;
	if (code < 32) return 'ignore';
	return undefined;
}

export function parseKeys(data: string): KeyEvent[] {
	if (data.startsWith('\x1b')) return [parseEscape(data)];
	const events: KeyEvent[] = [];
	let run = '';
	const flush = () => {
		if (run === '') return;
		events.push([...run].length === 1 ? {name: run, text: run} : {name: 'text', text: run});
		run = '';
	};

	for (const ch of data) {
		const control = controlName(ch);
		if (control === undefined) {
			run += ch;
			continue;
		}

		flush();
		if (control !== 'ignore') events.push({name: control});
	}

	flush();
	return events;
}
