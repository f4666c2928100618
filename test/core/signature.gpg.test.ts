/**
 * Interoperability with GnuPG 2: keys and signatures made at run time by `gpg` in a temporary GNUPGHOME
 * (`--detach-sign`, `--armor --detach-sign`, `--clearsign`; RSA and Ed25519) verify in isoman, and the files isoman
 * keeps beside the image verify with `gpg --verify`. Skipped, saying why, when gpg is not installed.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {addKeys} from '../../source/core/signature/keyring.js';
import {startHarness, MiB, type Harness} from '../support/harness.js';

const haveGpg = spawnSync('gpg', ['--version']).status === 0;
if (!haveGpg) console.info('skipped the GnuPG interoperability tests: gpg is not installed');

let home = '';
const gpg = (args: string[], input?: string | Buffer) =>
	execFileSync('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {input, stdio: ['pipe', 'pipe', 'pipe']});

function fingerprintOf(uid: string): string {
	const colons = gpg(['--with-colons', '--list-keys', uid]).toString();
	return /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
}

describe.skipIf(!haveGpg)('signatures made by GnuPG 2', () => {
	const keys: Record<string, string> = {};
	beforeAll(() => {
		// A short path: gpg-agent's socket lives in it.
		home = fs.mkdtempSync(path.join(os.tmpdir(), 'gpg-'));
		fs.chmodSync(home, 0o700);
		gpg(['--quick-gen-key', 'Interop RSA <rsa@example.org>', 'rsa3072', 'sign', '1y']);
		gpg(['--quick-gen-key', 'Interop Ed25519 <ed@example.org>', 'ed25519', 'sign', 'never']);
		gpg(['--quick-gen-key', 'Cannot Sign <nosign@example.org>', 'ed25519', 'cert', 'never']);
		gpg(['--quick-add-key', fingerprintOf('nosign@example.org'), 'cv25519', 'encr', 'never']);
		for (const uid of ['rsa@example.org', 'ed@example.org', 'nosign@example.org']) keys[uid] = fingerprintOf(uid);
	}, 120_000);
	afterAll(() => {
		spawnSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']);
		fs.rmSync(home, {recursive: true, force: true});
	});

	let h: Harness;
	async function library(): Promise<void> {
		h = await startHarness();
		for (const uid of ['rsa@example.org', 'ed@example.org']) await addKeys(h.lib.config, gpg(['--export', keys[uid]!]), uid);
	}

	const cases = [
		{key: 'rsa@example.org', how: ['--detach-sign'], sigName: 'SHA256SUMS.sign', clear: false},
		{key: 'ed@example.org', how: ['--armor', '--detach-sign'], sigName: 'SHA256SUMS.asc', clear: false},
		{key: 'rsa@example.org', how: ['--clearsign'], sigName: undefined, clear: true},
		{key: 'ed@example.org', how: ['--clearsign'], sigName: undefined, clear: true},
	];
	for (const c of cases) {
		it(`${c.key.startsWith('rsa') ? 'RSA' : 'Ed25519'} gpg ${c.how.join(' ')}: verified, signed_by is the gpg key, gpg --verify accepts the kept files`, async () => {
			await library();
			try {
				const iso = '/r/debian-12.7.0-amd64-netinst.iso';
				const sha = await h.server.serve(iso, {kind: 'generated', size: MiB, seed: 11, fileType: 'iso'});
				const sums = `${sha}  debian-12.7.0-amd64-netinst.iso\n- a line that gpg dash-escapes\n`;
				const signed = gpg(['--local-user', keys[c.key]!, ...c.how, '--output', '-'], sums);
				const checksumPath = c.clear ? '/r/CHECKSUM' : '/r/SHA256SUMS';
				await h.server.serve(checksumPath, {kind: 'buffer', data: c.clear ? signed : Buffer.from(sums)});
				if (c.sigName) await h.server.serve(`/r/${c.sigName}`, {kind: 'buffer', data: signed});
				const {id} = h.manager.addNow({url: h.server.url(iso), checksumUrl: h.server.url(checksumPath), ...(c.sigName ? {signatureUrl: h.server.url(`/r/${c.sigName}`)} : {})});
				h.manager.start();
				const done = await h.until(id, 'complete', 'failed');
				expect(done.status, done.errorMessage ?? '').toBe('complete');
				expect(done.signedByFingerprint).toBe(keys[c.key]);
				expect(done.signedByUserId).toContain(`<${c.key}>`);
				const dir = path.join(h.lib.config.imagesDir, path.dirname(done.filePath));
				const kept = path.join(dir, `${done.filename}.checksums`);
				const verify = spawnSync('gpg', ['--homedir', home, '--batch', '--verify', ...(c.sigName ? [`${kept}.sig`] : []), kept], {encoding: 'utf8'});
				expect(verify.status, verify.stderr).toBe(0);
				expect(verify.stderr).toContain('Good signature');
			} finally {
				await h.close();
			}
		});
	}

	it('a gpg key that cannot sign (certify-only primary, an encryption subkey) is refused by key add', async () => {
		await library();
		try {
			await expect(addKeys(h.lib.config, gpg(['--armor', '--export', keys['nosign@example.org']!]), 'nosign.asc')).rejects.toThrow(/no usable signing key or subkey/);
		} finally {
			await h.close();
		}
	});
});
