/**
 * Remote text is parsed in linear time. The hand-written BSD-line and size-hint readers mean exactly what the
 * regular expressions they replace meant (checked against them on random short lines), and adversarial lines of
 * the size cap (1 MiB) parse in well under a second — also while a real download runs beside the parse.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import {afterEach, describe, expect, it} from 'vitest';
import {parseBsdLine, parseChecksumFile, parseSizeHint} from '../../../source/core/checksum/parse.js';
import {DEFAULT_MAX_TEXT_BYTES} from '../../../source/core/download/fetch-text.js';
import {silentLogger} from '../../../source/core/log.js';
import {Manager} from '../../../source/core/manager.js';
import {partPathFor} from '../../../source/core/paths.js';
import {tempLibrary, waitFor, type TempLibrary} from '../../support/library.js';
import {startTestServer, type TestServer} from '../../support/server.js';

// The expressions the parser used before (quadratic on long lines): the reference for what a line means.
const OLD_BSD = /^([A-Za-z][A-Za-z0-9/_-]*) ?\((.*)\) ?= ?(\S*)$/;
const OLD_SIZE = /^#\s*(.+):\s+(\d+)\s+bytes\s*$/i;

const line = (chars: string[]) => fc.array(fc.constantFrom(...chars), {maxLength: 40}).map(a => a.join(''));

describe('hand-written line readers', () => {
	it('parseBsdLine means what the old regular expression meant', () => {
		fc.assert(
			fc.property(line(['S', 'H', 'A', '2', '5', '6', ' ', ' ', '(', ')', ')', '=', '=', 'a', 'f', '0', '\t', 'x', '/', '-', '\u2028']), s => {
				const old = OLD_BSD.exec(s);
				expect(parseBsdLine(s)).toEqual(old ? [old[1], old[2], old[3]] : undefined);
			}),
			{numRuns: 5000},
		);
		for (const s of ['SHA256 (a) = ff', 'SHA256(a)= ff', 'MD5 (a (1).iso) = 0f', 'SHA256 (x) = y) = ab', 'SHA256 (x) = a b', 'SHA256 (x)', 'Note (see below) = x']) {
			const old = OLD_BSD.exec(s);
			expect(parseBsdLine(s), s).toEqual(old ? [old[1], old[2], old[3]] : undefined);
		}
	});

	it('parseSizeHint means what the old regular expression meant', () => {
		fc.assert(
			fc.property(line(['#', ' ', ' ', ':', ':', '1', '2', 'b', 'y', 't', 'e', 's', 'B', 'Y', 'T', 'E', 'S', 'x', '\t']), body => {
				const s = `#${body}`;
				const old = OLD_SIZE.exec(s);
				expect(parseSizeHint(s)).toEqual(old ? [old[1], old[2]] : undefined);
			}),
			{numRuns: 5000},
		);
		expect(parseSizeHint('# debian.iso: 658505728 bytes')).toEqual(['debian.iso', '658505728']);
	});
});

const MiB = 1024 * 1024;
/** Exactly 1 MiB (of ASCII): `prefix`, `unit` repeated, `suffix`. */
const fill = (unit: string, prefix = '', suffix = '') => (prefix + unit.repeat(Math.ceil(MiB / unit.length))).slice(0, MiB - suffix.length) + suffix;

/** Lines of the size cap built to make a backtracking parser take quadratic (or worse) time. */
const ADVERSARIAL: Record<string, string> = {
	'BSD: many ") =" with a space in the tail': fill('a) = ', 'SHA256 (', ' x'),
	'BSD: many ")" and no "="': fill(')', 'SHA256 ('),
	'BSD: "(" and spaces': fill(' (', 'SHA256'),
	'BSD: ") =" runs then a tab': fill(') =', 'MD5 (', '\tz'),
	'size hint: spaces before the name': fill(' ', '#', 'x'),
	'size hint: many ": 1 "': fill(': 1 ', '# '),
	'size hint: many ": 12 byte"': fill(': 12 byte', '#'),
	'GNU: hex runs and form feeds': fill('a\f', ''),
	'GNU: a digest and a name of spaces': fill(' ', 'f'.repeat(64), 'x'),
	'clear-signed armour of headers': fill('Hash: SHA256 ', '-----BEGIN PGP SIGNED MESSAGE-----\n'),
};

describe('adversarial lines of the size cap', () => {
	it('each parses in well under a second', () => {
		expect(DEFAULT_MAX_TEXT_BYTES).toBe(MiB);
		for (const [what, text] of Object.entries(ADVERSARIAL)) {
			expect(text.length, what).toBe(MiB);
			const started = performance.now();
			parseChecksumFile(text);
			// Generous: linear parsing takes milliseconds; the old one took minutes.
			expect(performance.now() - started, what).toBeLessThan(1000);
		}
	});
});

let lib: TempLibrary | undefined;
let server: TestServer | undefined;
let manager: Manager | undefined;
afterEach(async () => {
	await manager?.close();
	await server?.close();
	lib?.cleanup();
	manager = undefined;
	server = undefined;
	lib = undefined;
});

describe('a hostile checksum file beside a running download', () => {
	it('is refused while the other download keeps making progress', async () => {
		lib = tempLibrary({retryBaseMs: 10, retryMaxMs: 50});
		server = await startTestServer();
		const big = '/pub/debian-12.5.0-amd64-netinst.iso';
		const sha = await server.serve(big, {kind: 'generated', size: 3 * MiB, seed: 4, fileType: 'iso'}, {throttleBps: MiB});
		await server.serve('/pub/alpine-virt-3.20.3-x86_64.iso', {kind: 'generated', size: 4096, seed: 5, fileType: 'iso'});
		// One line of the size cap (a backtracking parser spends minutes on it, freezing every download).
		await server.serve('/pub/SHA256SUMS', {kind: 'buffer', data: Buffer.from(ADVERSARIAL['BSD: many ") =" with a space in the tail']!)});
		manager = new Manager({config: lib.config, log: silentLogger});
		const running = manager.addNow({url: server.url(big), checksum: `sha256:${sha}`});
		manager.start();
		const part = partPathFor(lib.config, running.id);
		await waitFor(() => (fs.statSync(part, {throwIfNoEntry: false})?.size ?? 0) > 64 * 1024, {what: 'the first download under way'});
		const sizeBefore = fs.statSync(part).size;

		const victim = manager.addNow({url: server.url('/pub/alpine-virt-3.20.3-x86_64.iso'), checksumUrl: server.url('/pub/SHA256SUMS')});
		await waitFor(() => manager!.get(victim.id)?.status === 'failed', {what: 'the hostile checksum file refused'});
		expect(manager.get(victim.id)).toMatchObject({errorCode: 'checksum_source'});
		// The first download was not frozen meanwhile: it is still running and has grown.
		expect(manager.get(running.id)?.status).toBe('downloading');
		await waitFor(() => (fs.statSync(part, {throwIfNoEntry: false})?.size ?? 0) > sizeBefore, {what: 'more bytes of the first download', timeoutMs: 5000});
		await manager.whenIdle();
		expect(manager.get(running.id)?.status).toBe('complete');
	});
});
