import './helpers/env.js';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {type Harness, KEYS, appPerTest, seedFiles} from './helpers/render-app.js';

const render = appPerTest();

const EXPECTED = 'a'.repeat(64) + 'b'.repeat(64);
const ACTUAL = 'c'.repeat(64) + 'd'.repeat(64);

/** A failed checksum with sha512 digests (too long for one line at 80 columns) and a few audit events. */
function failChecksum(h: Harness): string {
	const image = h.manager.list().find(i => i.name === 'debian')!;
	const {catalogue} = h.manager;
	catalogue.update(image.id, {expectedChecksum: EXPECTED, checksumType: 'sha512'});
	catalogue.transition(image.id, 'downloading');
	catalogue.transition(image.id, 'verifying', {checksum: ACTUAL, sizeBytes: 1024, downloadedBytes: 1024});
	catalogue.transition(image.id, 'failed', {errorCode: 'checksum_mismatch', errorMessage: `checksum mismatch: expected sha512 ${EXPECTED}, got ${ACTUAL}`});
	h.store.reload();
	return image.id;
}

/** The value column of consecutive lines starting at the one labelled `label`, joined (a wrapped value). */
function wrappedValue(frame: string, label: string): string {
	const lines = frame.split('\n');
	const start = lines.findIndex(l => l.startsWith(label.padEnd(10)));
	if (start < 0) return '';
	let value = lines[start]!.slice(10).trim();
	for (let i = start + 1; i < lines.length && lines[i]!.startsWith(' '.repeat(10)) && lines[i]!.trim() !== ''; i++) value += lines[i]!.trim();
	return value;
}

describe('details at 80×24', () => {
	it('show a long expected and actual digest whole, each on its own lines, scroll to the events, and close with Esc', async () => {
		const h = await render({seed: seedFiles('alpine-3.20.3-standard-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso'), columns: 80, rows: 24});
		failChecksum(h);
		await h.press('G');
		await h.waitFor(f => f.includes('checksum mismatch'), 'the failed row');
		await h.press(KEYS.enter);
		let frame = await h.waitFor(f => f.includes('Expected'), 'the details');
		expect(wrappedValue(frame, 'Expected')).toBe(EXPECTED);
		expect(wrappedValue(frame, 'Actual')).toBe(ACTUAL);
		for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		// The absolute path of the file.
		expect(wrappedValue(frame, 'Path')).toBe(path.join(h.library.config.imagesDir, h.manager.list().find(i => i.name === 'debian')!.filePath));
		expect(frame).toMatch(/↓ \d+ more/);
		// Scroll to the end: the events are there.
		await h.press('G');
		frame = await h.waitFor(f => f.includes('Events') && f.includes('failed'), 'the events at the end');
		expect(frame).toMatch(/↑ \d+ above/);
		await h.press(KEYS.escape);
		frame = await h.waitFor(f => f.includes('▾ alpine'), 'the list again');
		expect(frame).not.toContain('Expected');
	});

	it('beside the list (120×40) clip cleanly with a "more" line instead of overlapping', async () => {
		const h = await render({seed: seedFiles('alpine-3.20.3-standard-x86_64.iso', 'debian-12.5.0-amd64-netinst.iso'), columns: 120, rows: 24});
		failChecksum(h);
		await h.press('G');
		const frame = await h.waitFor(f => f.includes('Expected') && f.includes('checksum mismatch'), 'the side details');
		const side = frame
			.split('\n')
			.map(line => line.split('│').slice(1).join('│').trim())
			.join('\n');
		expect(side).toContain('Expected');
		expect(side).toContain('Actual');
		expect(side).toMatch(/↓ \d+ more/);
		// Every digest fragment is on its own line: no line holds parts of both.
		for (const line of side.split('\n')) expect(/[ab]{4}/.test(line) && /[cd]{4}/.test(line)).toBe(false);
		// Enter opens them whole, Esc closes.
		await h.press(KEYS.enter);
		await h.waitFor(f => !f.includes('▾ alpine') && f.includes('Expected'), 'the details view');
		await h.press(KEYS.escape);
		await h.waitFor(f => f.includes('▾ alpine'), 'back');
	});
});
