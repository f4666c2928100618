/**
 * OpenPGP signatures through the real manager, a real catalogue and the test HTTP server, with keys and signatures
 * made here by OpenPGP.js. Every failure that can be told before the download is told before it: the server's
 * request log then shows no request for the image.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {Notice} from '../../source/core/library.js';
import {recover} from '../../source/core/recovery.js';
import {addKeys} from '../../source/core/signature/keyring.js';
import {startHarness, MiB, type Harness} from '../support/harness.js';
import {clearSign, detachedSignature, makeKey, sha1Signature, type TestKey} from '../support/pgp.js';

let h: Harness;
afterEach(async () => h?.close());

const ISO = 'debian-12.7.0-amd64-netinst.iso';
const buffer = (data: string | Buffer) => ({kind: 'buffer' as const, data: Buffer.from(data)});

type Scene = {sha: string; sums: string; iso: string; sumsUrl: string};

/** The image and a SHA256SUMS listing it (and another file) under /d/. */
async function scene(): Promise<Scene> {
	const iso = `/d/${ISO}`;
	const sha = await h.server.serve(iso, {kind: 'generated', size: 2 * MiB, seed: 7, fileType: 'iso'});
	const sums = `${'0'.repeat(64)}  debian-12.7.0-amd64-DVD-1.iso\n${sha}  ${ISO}\n`;
	await h.server.serve('/d/SHA256SUMS', buffer(sums));
	return {sha, sums, iso, sumsUrl: h.server.url('/d/SHA256SUMS')};
}

async function trust(key: TestKey): Promise<void> {
	await addKeys(h.lib.config, Buffer.from(key.publicArmored), 'test key');
}

function keptDir(filePath: string): string {
	return path.join(h.lib.config.imagesDir, path.dirname(filePath));
}

async function completes(id: string) {
	h.manager.start();
	const done = await h.until(id, 'complete', 'failed');
	expect(done.status, done.errorMessage ?? '').toBe('complete');
	return done;
}

/** A trusted key and the scene with a detached signature over SHA256SUMS at /d/SHA256SUMS.sign. */
async function signedScene(options: {armored?: boolean; key?: TestKey} = {}): Promise<Scene & {key: TestKey; signature: Buffer; sigUrl: string}> {
	const key = options.key ?? (await makeKey());
	await trust(key);
	const s = await scene();
	const signature = await detachedSignature(key, s.sums, options.armored ?? false);
	await h.server.serve('/d/SHA256SUMS.sign', buffer(signature));
	return {...s, key, signature, sigUrl: h.server.url('/d/SHA256SUMS.sign')};
}

async function failsBeforeTheImage(id: string, iso: string, code: string, message: RegExp): Promise<void> {
	h.manager.start();
	const done = await h.until(id, 'complete', 'failed');
	expect(done.status).toBe('failed');
	expect(done.errorCode, done.errorMessage ?? '').toBe(code);
	expect(done.errorMessage).toMatch(message);
	expect(done.signedByFingerprint).toBeNull();
	expect(h.server.requestsFor(iso)).toEqual([]);
	expect(h.imageFiles()).toEqual([]);
	expect(h.tmpFiles()).toEqual([]);
}

describe('detached signatures over the checksum file', () => {
	it('Ed25519, binary .gpg: complete, signed_by recorded, the checksum file and signature kept beside the image', async () => {
		h = await startHarness();
		const {key, signature, ...s} = await signedScene({key: await makeKey({name: 'Debian CD signing key', email: 'debian-cd@lists.debian.org'})});
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: s.sigUrl});
		const done = await completes(id);
		expect(done.expectedChecksum).toBe(s.sha);
		expect(done.signedByFingerprint).toBe(key.fingerprint);
		expect(done.signedByUserId).toBe('Debian CD signing key <debian-cd@lists.debian.org>');
		expect(Date.parse(done.signedAt!)).toBeGreaterThan(Date.now() - 60_000);
		// The checksum file and its signature were fetched before the image.
		const order = h.server.requests.map(r => r.path);
		expect(order.indexOf('/d/SHA256SUMS.sign')).toBeLessThan(order.indexOf(s.iso));
		const dir = keptDir(done.filePath);
		expect(fs.readFileSync(path.join(dir, `${done.filename}.checksums`), 'utf8')).toBe(s.sums);
		expect(fs.readFileSync(path.join(dir, `${done.filename}.checksums.sig`))).toEqual(signature);
		// isoman verify checks them again.
		expect(await h.manager.verify([id])).toEqual([{id, outcome: 'ok'}]);
	});

	it('RSA with a signing subkey, armored .asc: the subkey counts as its primary key', async () => {
		h = await startHarness();
		const key = await makeKey({type: 'rsa', signingSubkey: true});
		expect(key.signingKeyId).not.toBe(key.fingerprint.slice(-16));
		await trust(key);
		const s = await scene();
		await h.server.serve('/d/SHA256SUMS.asc', buffer(await detachedSignature(key, s.sums, true)));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.asc'), key: key.fingerprint.slice(0, 12)});
		expect(h.manager.get(id)!.signingKey).toBe(key.fingerprint);
		const done = await completes(id);
		expect(done.signedByFingerprint).toBe(key.fingerprint);
	});

	it('the checksum file altered after signing: signature_invalid, no image request', async () => {
		h = await startHarness();
		const s = await signedScene();
		await h.server.serve('/d/SHA256SUMS', buffer(s.sums.replace('0'.repeat(64), '1'.repeat(64))));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign')});
		await failsBeforeTheImage(id, s.iso, 'signature_invalid', /does not match its signature.*changed after it was signed/);
	});

	it('a key not in the keyring: signature_unknown_key naming the key ID and isoman key add, no image request', async () => {
		h = await startHarness();
		await trust(await makeKey({name: 'Somebody else'}));
		const stranger = await makeKey();
		const s = await scene();
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(stranger, s.sums, false)));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign')});
		await failsBeforeTheImage(id, s.iso, 'signature_unknown_key', new RegExp(`key ${stranger.signingKeyId}, which is not in the keyring.*isoman key add`));
	});

	it('the signature URL answers 404, or an HTML page: signature_source, no image request', async () => {
		h = await startHarness();
		await trust(await makeKey());
		const s = await scene();
		const missing = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.gone')});
		await failsBeforeTheImage(missing.id, s.iso, 'signature_source', /SHA256SUMS\.gone.*404/);
		await h.manager.remove(missing.id);
		await h.server.serve('/d/SHA256SUMS.sign', buffer('x'), {html: true});
		const html = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign')});
		await failsBeforeTheImage(html.id, s.iso, 'signature_source', /is an HTML page, not an OpenPGP signature/);
	});

	it('a SHA-1 signature is refused, saying so; no image request', async () => {
		h = await startHarness();
		const key = await makeKey({type: 'rsa'});
		await trust(key);
		const s = await scene();
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await sha1Signature(key, s.sums)));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign')});
		await failsBeforeTheImage(id, s.iso, 'signature_invalid', /signed with SHA-1.*isoman refuses SHA-1 signatures/);
	});

	it('pinned to another keyring key: signature_invalid naming both, no image request', async () => {
		h = await startHarness();
		const pinned = await makeKey({name: 'Pinned'});
		const signer = await makeKey({name: 'Signer'});
		await trust(pinned);
		await trust(signer);
		const s = await scene();
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(signer, s.sums, false)));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign'), key: pinned.fingerprint});
		await failsBeforeTheImage(id, s.iso, 'signature_invalid', new RegExp(`signed by ${signer.fingerprint} \\(Signer <cd@example.org>\\), not by the key this image is pinned to \\(${pinned.fingerprint}\\)`));
	});

	it('one key for several images is stored once: the keyring file is shared, the images keep only the publisher\'s files', async () => {
		h = await startHarness();
		const key = await makeKey();
		await trust(key);
		const other = `/d/debian-12.7.0-arm64-netinst.iso`;
		const s = await scene();
		const otherSha = await h.server.serve(other, {kind: 'generated', size: MiB, seed: 8, fileType: 'iso'});
		const sums = `${s.sums}${otherSha}  debian-12.7.0-arm64-netinst.iso\n`;
		await h.server.serve('/d/SHA256SUMS', buffer(sums));
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(key, sums, false)));
		const sigUrl = h.server.url('/d/SHA256SUMS.sign');
		const a = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: sigUrl});
		const b = h.manager.addNow({url: h.server.url(other), checksumUrl: s.sumsUrl, signatureUrl: sigUrl, key: key.fingerprint});
		const [doneA, doneB] = [await completes(a.id), await completes(b.id)];
		expect([doneA.signedByFingerprint, doneB.signedByFingerprint]).toEqual([key.fingerprint, key.fingerprint]);
		// Adding the key again (a publisher's KEYS file re-imported) merges it into the same file.
		const again = await addKeys(h.lib.config, Buffer.from(key.publicArmored), 'again');
		expect(again.added).toEqual([]);
		expect(again.updated.map(k => k.fingerprint)).toEqual([key.fingerprint]);
		expect(fs.readdirSync(h.lib.config.keysDir)).toEqual([`${key.fingerprint}.asc`]);
		expect(h.imageFiles().filter(f => /\.(asc|gpg|key)$/.test(f))).toEqual([]);
		expect(await h.manager.verify([a.id, b.id])).toEqual([{id: a.id, outcome: 'ok'}, {id: b.id, outcome: 'ok'}]);
	});

	it('remove deletes the kept files; recovery counts them as the image\'s own', async () => {
		h = await startHarness();
		const s = await signedScene({armored: true});
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: s.sigUrl});
		const done = await completes(id);
		expect(h.imageFiles().sort()).toEqual([done.filePath, `${done.filePath}.checksums`, `${done.filePath}.checksums.sig`, `${done.filePath}.sha256`].sort());
		const report = await recover(h.lib.config, h.manager.catalogue, {debug() {}, info() {}, warn() {}, error() {}, child: () => ({}) as never});
		expect(report.untracked).toEqual([]);
		await h.manager.remove(id);
		expect(h.imageFiles()).toEqual([]);
	});

	it('an edit that moves a signed image moves its kept files along; verify still checks them', async () => {
		h = await startHarness();
		const s = await signedScene();
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: s.sigUrl});
		const done = await completes(id);
		const moved = await h.manager.edit(id, {version: '12.7.1'});
		expect(moved.filePath).not.toBe(done.filePath);
		expect(h.imageFiles().sort()).toEqual([moved.filePath, `${moved.filePath}.checksums`, `${moved.filePath}.checksums.sig`, `${moved.filePath}.sha256`].sort());
		expect(fs.readFileSync(path.join(keptDir(moved.filePath), `${moved.filename}.checksums`), 'utf8')).toBe(s.sums);
		expect(await h.manager.verify([id])).toEqual([{id, outcome: 'ok'}]);
	});

	it('an edit of a failed signed image: a new download URL keeps the signer, a new checksum URL checks again, a typed digest is refused', async () => {
		h = await startHarness();
		const key = await makeKey();
		await trust(key);
		const s = await scene();
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(key, s.sums, false)));
		await h.server.serve('/mirror/SHA256SUMS', buffer(s.sums));
		// The signature is checked, then the image is not there: failed, with the signer recorded.
		const {id} = h.manager.addNow({url: h.server.url(`/gone/${ISO}`), checksumUrl: s.sumsUrl, signatureUrl: h.server.url('/d/SHA256SUMS.sign')});
		h.manager.start();
		expect((await h.until(id, 'failed')).signedByFingerprint).toBe(key.fingerprint);
		await h.manager.stop();

		// A digest typed in instead of the signed checksum file: the signature URL would then be read as one over the image.
		await expect(h.manager.edit(id, {checksum: `sha256:${s.sha}`})).rejects.toThrow(/checksum: this image's signature URL signs its checksum file/);
		expect(h.manager.get(id)).toMatchObject({status: 'failed', checksumUrl: s.sumsUrl, signedByFingerprint: key.fingerprint});

		// A new download URL: the signed digest still applies.
		expect((await h.manager.edit(id, {url: h.server.url(s.iso)})).signedByFingerprint).toBe(key.fingerprint);
		await h.manager.cancel(id);
		// Another checksum URL: the signer and the signed files are forgotten, and checked again against the new file.
		const edited = await h.manager.edit(id, {checksumUrl: h.server.url('/mirror/SHA256SUMS')});
		expect(edited).toMatchObject({status: 'pending', signedByFingerprint: null, expectedChecksum: null});
		expect(h.manager.catalogue.signedMaterial(id)).toBeUndefined();
		const done = await completes(id);
		expect(done.signedByFingerprint).toBe(key.fingerprint);
		expect(h.server.requestsFor('/mirror/SHA256SUMS').length).toBe(1);
	});

	it('verify: a kept checksum file edited later makes the image corrupt (the data still matches)', async () => {
		h = await startHarness();
		const s = await signedScene();
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, signatureUrl: s.sigUrl});
		const done = await completes(id);
		const sidecar = path.join(keptDir(done.filePath), `${done.filename}.sha256`);
		fs.rmSync(sidecar);
		expect(await h.manager.verify([id])).toEqual([{id, outcome: 'ok'}]);
		expect(fs.readFileSync(sidecar, 'utf8')).toBe(`${s.sha}  ${done.filename}\n`);
		fs.appendFileSync(path.join(keptDir(done.filePath), `${done.filename}.checksums`), `${'2'.repeat(64)}  extra.iso\n`);
		const [result] = await h.manager.verify([id]);
		expect(result!.outcome).toBe('corrupt');
		expect(result!.message).toMatch(/does not match its signature/);
		expect(h.manager.get(id)!.errorCode).toBe('corrupt');
	});
});

describe('clear-signed checksum files', () => {
	/** Fedora's shape, with lines that start with a dash (dash-escaped when signed). */
	async function clearSignedScene(key: TestKey): Promise<Scene & {signed: string}> {
		const s = await scene();
		const text = `-----\n- Fedora 41 checksums -\n# ${ISO}: ${2 * MiB} bytes\nSHA256 (${ISO}) = ${s.sha}\n`;
		const signed = await clearSign(key, text);
		expect(signed).toContain('- -----');
		await h.server.serve('/d/CHECKSUM', buffer(signed));
		return {...s, signed, sumsUrl: h.server.url('/d/CHECKSUM')};
	}

	it('signed by a keyring key: checked on arrival, signed_by recorded, the file kept', async () => {
		h = await startHarness();
		const key = await makeKey();
		await trust(key);
		const s = await clearSignedScene(key);
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl});
		const done = await completes(id);
		expect(done.signedByFingerprint).toBe(key.fingerprint);
		expect(done.sizeBytes).toBe(2 * MiB);
		expect(fs.readFileSync(path.join(keptDir(done.filePath), `${done.filename}.checksums`), 'utf8')).toBe(s.signed);
		expect(fs.existsSync(path.join(keptDir(done.filePath), `${done.filename}.checksums.sig`))).toBe(false);
		expect(await h.manager.verify([id])).toEqual([{id, outcome: 'ok'}]);
	});

	it('altered after signing, by a keyring key: signature_invalid, no image request', async () => {
		h = await startHarness();
		const key = await makeKey();
		await trust(key);
		const s = await clearSignedScene(key);
		await h.server.serve('/d/CHECKSUM', buffer(s.signed.replace(s.sha, 'f'.repeat(64))));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl});
		await failsBeforeTheImage(id, s.iso, 'signature_invalid', /does not match its signature/);
	});

	it('by a key not in the keyring: used as unsigned with a notice naming the key, unless a signature is required', async () => {
		h = await startHarness();
		const stranger = await makeKey();
		const s = await clearSignedScene(stranger);
		const notices: Notice[] = [];
		h.manager.on('notice', notice => notices.push(notice));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl});
		const done = await completes(id);
		expect(done.signedByFingerprint).toBeNull();
		expect(done.expectedChecksum).toBe(s.sha);
		expect(notices.some(n => n.id === id && n.message.includes(stranger.signingKeyId) && /unsigned/.test(n.message))).toBe(true);
		expect(h.imageFiles().some(f => f.endsWith('.checksums'))).toBe(false);

		await h.manager.remove(id);
		const required = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl, requireSignature: true});
		const before = h.server.requestsFor(s.iso).length;
		h.manager.start();
		const failed = await h.until(required.id, 'complete', 'failed');
		expect(failed.errorCode).toBe('signature_unknown_key');
		expect(failed.errorMessage).toContain(stranger.signingKeyId);
		expect(h.server.requestsFor(s.iso).length).toBe(before);
	});

	it('a signature block that cannot be read: used as unsigned with a notice, unless a signature is required (then no image request)', async () => {
		h = await startHarness();
		await trust(await makeKey());
		const s = await scene();
		const broken = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSHA256 (${ISO}) = ${s.sha}\n-----BEGIN PGP SIGNATURE-----\n\nbm90IGEgc2lnbmF0dXJl\n=AAAA\n-----END PGP SIGNATURE-----\n`;
		await h.server.serve('/d/CHECKSUM', buffer(broken));
		const notices: Notice[] = [];
		h.manager.on('notice', notice => notices.push(notice));
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: h.server.url('/d/CHECKSUM')});
		const done = await completes(id);
		expect(done.signedByFingerprint).toBeNull();
		expect(done.expectedChecksum).toBe(s.sha);
		expect(notices.some(n => n.id === id && /cannot be read.*unsigned checksum file/.test(n.message))).toBe(true);
		await h.manager.remove(id);

		const required = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: h.server.url('/d/CHECKSUM'), requireSignature: true});
		const before = h.server.requestsFor(s.iso).length;
		const failed = await h.until(required.id, 'complete', 'failed');
		expect(failed.errorCode).toBe('signature_invalid');
		expect(failed.errorMessage).toMatch(/cannot be read/);
		expect(h.server.requestsFor(s.iso).length).toBe(before);
		expect(h.imageFiles()).toEqual([]);
	});

	it('an unsigned checksum file when a signature is required: signature_invalid, no image request', async () => {
		h = await startHarness({requireSignature: true});
		const s = await scene();
		const {id} = h.manager.addNow({url: h.server.url(s.iso), checksumUrl: s.sumsUrl});
		await failsBeforeTheImage(id, s.iso, 'signature_invalid', /is not signed.*--require-signature/);
	});
});

describe('a detached signature over the image itself', () => {
	/** A trusted key and a small ISO (its bytes known, to sign them) at /d/. */
	async function imageScene() {
		const key = await makeKey();
		await trust(key);
		const iso = `/d/${ISO}`;
		const data = Buffer.alloc(MiB, 1);
		data.write('CD001', 0x8001);
		await h.server.serve(iso, buffer(data));
		return {key, iso, data};
	}

	it('checked after the download and before the rename; kept as <image>.sig', async () => {
		h = await startHarness();
		const {key, iso, data} = await imageScene();
		const signature = await detachedSignature(key, data, true);
		await h.server.serve(`${iso}.asc`, buffer(signature));
		const {id} = h.manager.addNow({url: h.server.url(iso), signatureUrl: h.server.url(`${iso}.asc`)});
		const done = await completes(id);
		expect(done.signedByFingerprint).toBe(key.fingerprint);
		expect(fs.readFileSync(path.join(keptDir(done.filePath), `${done.filename}.sig`))).toEqual(signature);
		expect(await h.manager.verify([id])).toEqual([{id, outcome: 'ok'}]);
	});

	it('a signature over other bytes: signature_invalid after the download, nothing placed', async () => {
		h = await startHarness();
		const {key, iso} = await imageScene();
		await h.server.serve(`${iso}.sig`, buffer(await detachedSignature(key, 'something else', false)));
		const {id} = h.manager.addNow({url: h.server.url(iso), signatureUrl: h.server.url(`${iso}.sig`)});
		h.manager.start();
		const done = await h.until(id, 'complete', 'failed');
		expect(done.errorCode).toBe('signature_invalid');
		expect(h.imageFiles()).toEqual([]);
		expect(h.tmpFiles()).toEqual([]);
	});

	it('by an unknown key: told before the image is requested', async () => {
		h = await startHarness();
		const stranger = await makeKey();
		const iso = `/d/${ISO}`;
		await h.server.serve(iso, {kind: 'generated', size: MiB, seed: 3, fileType: 'iso'});
		await h.server.serve(`${iso}.sig`, buffer(await detachedSignature(stranger, 'x', false)));
		const {id} = h.manager.addNow({url: h.server.url(iso), signatureUrl: h.server.url(`${iso}.sig`)});
		await failsBeforeTheImage(id, iso, 'signature_unknown_key', /isoman key add/);
	});
});
