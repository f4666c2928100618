/**
 * Hostile text (every control, bidi and invisible format character, OSC title/clipboard and CSI sequences, a
 * password in a URL) in a catalogue row, its audit events and a notice: the TUI frame shows it escaped, never raw,
 * in the rows, the details, the status line and the remove dialog.
 */
import './helpers/env.js';
import {describe, expect, it} from 'vitest';
import {HOSTILE, HOSTILE_CHARS, rawUnsafe} from '../support/hostile.js';
import {type Harness, appPerTest, url} from './helpers/render-app.js';

const render = appPerTest();

/** The frame as written, with the app's own styling (SGR) taken out: what remains must be printable. */
function unsafeInFrame(h: Harness): string[] {
	// eslint-disable-next-line no-control-regex
	return rawUnsafe(h.rawFrame().replaceAll(/\x1b\[[0-9;]*m/g, ''), ['\n']);
}

const ALL = HOSTILE_CHARS.join('');

describe('hostile text in the TUI', () => {
	it('rows, details, events, notices and dialogs show it escaped', async () => {
		let id = '';
		const h = await render({
			columns: 160,
			rows: 50,
			seed(manager) {
				id = manager.addNow({url: url('debian-12.5.0-amd64-netinst.iso')}).id;
				manager.catalogue.db
					.prepare("UPDATE images SET name = ?, version = ?, download_url = ?, checksum_url = ?, status = 'failed', error_code = 'network', error_message = ? WHERE id = ?")
					.run(`deb${HOSTILE}`, `12${ALL}`, `http://user:hunter2@127.0.0.1:9/${HOSTILE}`, `http://u:pw2@127.0.0.1:9/SUMS\u202e`, `boom ${HOSTILE} ${ALL}`, id);
				manager.catalogue.addEvent(id, 'failed', `evil ${HOSTILE}`);
			},
		});
		h.store.reload();
		// The file row, selected: the details pane shows every field.
		await h.press('j');
		await h.press('j');
		const frame = await h.waitFor(f => f.includes('boom'), 'the details');
		expect(unsafeInFrame(h)).toEqual([]);
		expect(frame).toContain('\\x1b]0;pwned');
		expect(frame).toContain('evil x\\x1b]0;pwned');
		expect(frame).not.toContain('hunter2');
		expect(frame).not.toContain('pw2');

		h.manager.emit('notice', {level: 'error', message: `notice ${HOSTILE} http://a:sekrit@h/x`});
		await h.waitFor(f => f.includes('notice x\\x1b'), 'the notice');
		expect(unsafeInFrame(h)).toEqual([]);
		expect(h.frame()).not.toContain('sekrit');

		await h.press('D');
		await h.waitFor(f => f.includes('Remove this image?'), 'the dialog');
		expect(unsafeInFrame(h)).toEqual([]);
		expect(h.frame()).toContain('debx\\x1b]0;pwned');
	});
});
