/**
 * `isoman key add|list|remove` and the signature flags of `add`, through the built CLI as a real child process, with
 * keys made here by OpenPGP.js: what is stored in <data>/keys, what is refused (each with its own message, nothing
 * written), and signed_by in `show` and `--json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {clearSign, makeKey, revokedPublicKey} from '../support/pgp.js';
import {inProcess, isoman, withLibraryAndServer, type ImageJson, MiB} from './helpers.js';

const library = withLibraryAndServer();

function keyFiles(dir: string): string[] {
	const keys = path.join(dir, 'keys');
	return fs.existsSync(keys) ? fs.readdirSync(keys).sort() : [];
}

describe('isoman key', () => {
	it('add a file (armored) or a URL (binary, two keys); list and list --json; remove by a unique prefix', async () => {
		const {dir, server} = await library.setUp();
		const ed = await makeKey({name: 'Debian CD signing key', email: 'debian-cd@lists.debian.org'});
		const rsa = await makeKey({type: 'rsa', name: 'Rocky Enterprise Software Foundation', email: 'security@rockylinux.org', signingSubkey: true});
		const file = path.join(dir, 'debian.asc');
		fs.writeFileSync(file, ed.publicArmored);
		const added = await isoman(dir, ['key', 'add', file]);
		expect(added.stdout).toContain(`added ${ed.fingerprint}\n  Debian CD signing key <debian-cd@lists.debian.org>\n  Ed25519, created `);
		// A KEYS file of two binary keys, over HTTP; the Ed25519 one again is merged, not stored twice.
		await server.serve('/KEYS', {kind: 'buffer', data: Buffer.concat([Buffer.from(rsa.publicBinary), Buffer.from(ed.publicBinary)])});
		const fromUrl = await isoman(dir, ['key', 'add', server.url('/KEYS')]);
		expect(fromUrl.stdout).toContain(`added ${rsa.fingerprint}\n  Rocky Enterprise Software Foundation <security@rockylinux.org>\n  RSA 2048`);
		expect(fromUrl.stdout).toContain(`updated ${ed.fingerprint}`);
		expect(keyFiles(dir)).toEqual([`${ed.fingerprint}.asc`, `${rsa.fingerprint}.asc`].sort());
		expect(fs.readFileSync(path.join(dir, 'keys', `${ed.fingerprint}.asc`), 'utf8')).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

		const list = JSON.parse((await isoman(dir, ['key', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
		const rsaEntry = list.find(k => k['fingerprint'] === rsa.fingerprint)!;
		expect(rsaEntry).toMatchObject({user_id: 'Rocky Enterprise Software Foundation <security@rockylinux.org>', algorithm: 'RSA 2048', expires_at: null});
		expect(rsaEntry['signing_keys']).toContain(rsa.privateKey.subkeys.at(-1)!.getFingerprint().toUpperCase());
		expect((await isoman(dir, ['key', 'list'])).stdout).toMatch(new RegExp(`${ed.fingerprint}\\s+Ed25519\\s+never\\s+Debian CD signing key`));

		const ambiguous = await isoman(dir, ['key', 'remove', 'ZZ'], 2);
		expect(ambiguous.stderr).toContain('not a key fingerprint');
		const removed = await isoman(dir, ['key', 'remove', ed.fingerprint.slice(0, 10).toLowerCase()]);
		expect(removed.stdout).toBe(`removed ${ed.fingerprint}  Debian CD signing key <debian-cd@lists.debian.org>\n`);
		expect(keyFiles(dir)).toEqual([`${rsa.fingerprint}.asc`]);
		expect((await isoman(dir, ['key', 'remove', ed.fingerprint], 2)).stderr).toContain('no key');
	});

	it('refuses a secret key, a revoked key, an expired key and a file that is no key, each saying why; nothing is written', async () => {
		const {dir} = await library.setUp();
		const key = await makeKey();
		const cases: Array<[string, string | Uint8Array, RegExp]> = [
			['secret.asc', key.privateKey.armor(), /holds a secret key: give the public key \(gpg --armor --export/],
			['revoked.asc', await revokedPublicKey(key), /it is revoked/],
			['expired.asc', (await makeKey({createdAgo: 3 * 86_400, expiresAfter: 86_400})).publicArmored, /it expired on \d{4}-\d\d-\d\d/],
			['page.html', '<!doctype html><html><body>Not found</body></html>', /is not an OpenPGP public key/],
		];
		for (const [name, content, message] of cases) {
			const file = path.join(dir, name);
			fs.writeFileSync(file, content);
			const refused = await isoman(dir, ['key', 'add', file], 2);
			expect(refused.stderr, name).toMatch(message);
			expect(refused.stderr).not.toMatch(/\n\s+at /);
			expect(keyFiles(dir), name).toEqual([]);
		}

		expect((await isoman(dir, ['key', 'add', path.join(dir, 'nothing-here')], 2)).stderr).toContain('is not a file or an http(s) URL');

		// <data>/keys as a link to somewhere else: refused, nothing written there.
		const elsewhere = fs.mkdtempSync(path.join(dir, '..', 'isoman-elsewhere-'));
		try {
			fs.symlinkSync(elsewhere, path.join(dir, 'keys'));
			fs.writeFileSync(path.join(dir, 'good.asc'), key.publicArmored);
			const linked = await isoman(dir, ['key', 'add', path.join(dir, 'good.asc')], 1);
			expect(linked.stderr).toMatch(/link/i);
			expect(fs.readdirSync(elsewhere)).toEqual([]);
		} finally {
			fs.rmSync(elsewhere, {recursive: true, force: true});
		}
	});
});

describe('isoman add with signatures', () => {
	it('--key must name a keyring key; --require-signature needs something to sign; show and --json give signed_by', async () => {
		const {dir, server} = await library.setUp();
		const key = await makeKey({name: 'Fedora (41)', email: 'fedora-41-primary@fedoraproject.org'});
		const iso = '/f/Fedora-Server-netinst-x86_64-41-1.4.iso';
		const sha = await server.serve(iso, {kind: 'generated', size: MiB, seed: 5, fileType: 'iso'});
		await server.serve('/f/CHECKSUM', {kind: 'buffer', data: Buffer.from(await clearSign(key, `SHA256 (Fedora-Server-netinst-x86_64-41-1.4.iso) = ${sha}\n`))});

		const unknown = await isoman(dir, ['add', server.url(iso), '--checksum-url', server.url('/f/CHECKSUM'), '--key', key.fingerprint], 2);
		expect(unknown.stderr).toContain(`key: no key ${key.fingerprint} in the keyring`);
		const nothing = await isoman(dir, ['add', server.url(iso), '--require-signature'], 2);
		expect(nothing.stderr).toContain('--require-signature needs something to be signed');
		expect(await inProcess(dir).images()).toEqual([]);

		fs.writeFileSync(path.join(dir, 'fedora.asc'), key.publicArmored);
		await isoman(dir, ['key', 'add', path.join(dir, 'fedora.asc')]);
		const added = JSON.parse((await isoman(dir, ['add', server.url(iso), '--checksum-url', server.url('/f/CHECKSUM'), '--key', key.fingerprint.slice(-16), '--require-signature', '--json'])).stdout) as ImageJson;
		expect(added).toMatchObject({signature_url: null, signature_key: key.fingerprint, require_signature: true, signed_by: null});
		await isoman(dir, ['--daemon', '--exit-when-idle']);
		const shown = JSON.parse((await isoman(dir, ['show', added.id, '--json'])).stdout) as ImageJson;
		expect(shown.status).toBe('complete');
		expect(shown.signed_by).toMatchObject({fingerprint: key.fingerprint, user_id: 'Fedora (41) <fedora-41-primary@fedoraproject.org>'});
		const text = (await isoman(dir, ['show', added.id])).stdout;
		expect(text).toMatch(new RegExp(`signature\\s+signed by Fedora \\(41\\) <fedora-41-primary@fedoraproject.org>, ${key.fingerprint}, on \\d{4}-\\d\\d-\\d\\d`));
		const verified = await isoman(dir, ['verify', added.id]);
		expect(verified.stdout).toMatch(new RegExp(`^${added.id}  fedora-server 41-1\.4 x86_64 netinst iso  ok`, 'm'));
	});

	it('a hostile user ID is stored and shown with its control characters escaped', async () => {
		const {dir} = await library.setUp();
		const key = await makeKey({name: 'Evil \u001b]0;owned\u0007\u202e', email: 'x@example.org'});
		fs.writeFileSync(path.join(dir, 'evil.asc'), key.publicArmored);
		const added = await isoman(dir, ['key', 'add', path.join(dir, 'evil.asc')]);
		expect(added.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
		expect(added.stdout).toContain('Evil \\x1b]0;owned\\x07\\u202e');
	});
});
