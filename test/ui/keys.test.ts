import {describe, expect, it} from 'vitest';
import {parseKeys} from '../../source/ui/keys.js';

const names = (data: string) => parseKeys(data).map(event => event.name);

describe('parseKeys', () => {
	it('tells Backspace (0x7F, ^H) from the Delete key (ESC[3~)', () => {
		expect(names('\x7f')).toEqual(['backspace']);
		expect(names('\b')).toEqual(['backspace']);
		expect(names('\x1b[3~')).toEqual(['delete']);
	});

	it('reads arrows, Home/End, PgUp/PgDn and F1 in the usual encodings', () => {
		expect(names('\x1b[A')).toEqual(['up']);
		expect(names('\x1bOB')).toEqual(['down']);
		expect(names('\x1b[1;5C')).toEqual(['right']);
		expect(names('\x1b[H')).toEqual(['home']);
		expect(names('\x1b[4~')).toEqual(['end']);
		expect(names('\x1b[5~')).toEqual(['pageup']);
		expect(names('\x1b[6~')).toEqual(['pagedown']);
		expect(names('\x1bOP')).toEqual(['f1']);
		expect(names('\x1b[11~')).toEqual(['f1']);
		expect(names('\x1b[Z')).toEqual(['shift+tab']);
		expect(names('\x1b')).toEqual(['escape']);
	});

	it('reads control keys and splits a run of characters from them', () => {
		expect(names('\r')).toEqual(['enter']);
		expect(names('\t')).toEqual(['tab']);
		expect(names('\x03')).toEqual(['ctrl+c']);
		expect(names('\x15')).toEqual(['ctrl+u']);
		expect(parseKeys('jj\rk')).toEqual([{name: 'text', text: 'jj'}, {name: 'enter'}, {name: 'k', text: 'k'}]);
		expect(parseKeys('G')).toEqual([{name: 'G', text: 'G'}]);
	});
});
