/**
 * The file name a server suggests is untrusted: Content-Disposition is parsed in one pass over a bounded prefix, and
 * whatever it or a redirect target says keeps no path, no control or bidi character and at most 200 characters.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {contentDispositionName, MAX_NAME, safeRemoteName, urlFileName} from '../../source/core/remote-name.js';

describe('a server-given file name', () => {
	it('reads filename*= (RFC 5987, preferred), filename="…" with escapes, and a bare filename=', () => {
		expect(contentDispositionName(`attachment; filename="fallback.iso"; filename*=UTF-8''debian%2012.5.0%20netinst.iso`)).toBe('debian 12.5.0 netinst.iso');
		expect(contentDispositionName('attachment; filename="alpine \\"virt\\" 3.20.iso"')).toBe('alpine "virt" 3.20.iso');
		expect(contentDispositionName('attachment;filename=Fedora-Server-41-1.4.x86_64.iso')).toBe('Fedora-Server-41-1.4.x86_64.iso');
		expect(contentDispositionName('inline')).toBeUndefined();
		expect(contentDispositionName(undefined)).toBeUndefined();
	});

	it('keeps no path, no dot-dot, no control or bidi character', () => {
		expect(contentDispositionName('attachment; filename="../../etc/passwd"')).toBe('passwd');
		expect(contentDispositionName('attachment; filename="C:\\\\Windows\\\\evil.iso"')).toBe('evil.iso');
		expect(safeRemoteName('..')).toBeUndefined();
		expect(safeRemoteName('/')).toBeUndefined();
		expect(safeRemoteName('a\u202eosi.exe\u0007\u001b[2J.iso')).toBe('aosi.exe[2J.iso');
		expect(urlFileName('https://cdn.example.org/dl/ubuntu-24.04.1-live-server-amd64.iso?token=x')).toBe('ubuntu-24.04.1-live-server-amd64.iso');
		expect(urlFileName('https://cdn.example.org/dl/')).toBeUndefined();
	});

	it('cuts a long name from the front (the extension stays) and reads only a bounded prefix of a hostile header', () => {
		const long = `${'a'.repeat(5000)}.qcow2`;
		const cut = contentDispositionName(`attachment; filename="${long}"`);
		expect(cut === undefined || [...cut].length <= MAX_NAME).toBe(true);
		expect(safeRemoteName(long)!.endsWith('.qcow2')).toBe(true);
		expect([...safeRemoteName(long)!].length).toBe(MAX_NAME);
		// Megabytes of parameters, unterminated quotes and backslashes: only a bounded prefix is read.
		const hostile = `attachment${'; filename="\\'.repeat(200_000)}`;
		const name = contentDispositionName(hostile);
		expect(name === undefined || [...name].length <= MAX_NAME).toBe(true);
	});

	it('never returns a name with a separator, a control character or more than 200 characters (any input)', () => {
		fc.assert(
			fc.property(fc.string({maxLength: 600, unit: 'binary'}), raw => {
				for (const name of [safeRemoteName(raw), contentDispositionName(`attachment; filename="${raw}"`), contentDispositionName(`attachment; filename*=UTF-8''${encodeURIComponent(raw)}`)]) {
					if (name === undefined) continue;
					expect(name).not.toMatch(/[/\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
					expect([...name].length).toBeLessThanOrEqual(MAX_NAME);
					expect(name).not.toBe('..');
					expect(name.startsWith('.')).toBe(false);
				}
			}),
			{numRuns: 300},
		);
	});
});
