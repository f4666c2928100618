/**
 * POST /api/isos takes the signature fields `add` takes (signature_url, key, require_signature), checked by the same
 * rules; the image object carries them and signed_by; PUT refuses to change them. A real server, catalogue, keyring
 * and publisher; keys and signatures made here with OpenPGP.js.
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {addKeys} from '../../../source/core/signature/keyring.js';
import {clearSign, detachedSignature, makeKey} from '../../support/pgp.js';
import {startApi, type ApiHarness} from './helpers.js';

let h: ApiHarness;
beforeEach(async () => {
	h = await startApi();
});
afterEach(async () => {
	await h.close();
});

const KiB = 1024;
const buffer = (data: string | Uint8Array) => ({kind: 'buffer' as const, data: Buffer.from(data)});

describe('POST /api/isos with a signature', () => {
	it('signature_url and key (a unique prefix): 201 with them in the object; it completes signed, GET gives signed_by', async () => {
		const key = await makeKey({name: 'Debian CD signing key', email: 'debian-cd@lists.debian.org'});
		await addKeys(h.lib.config, Buffer.from(key.publicArmored), 'test');
		const iso = '/d/debian-12.7.0-amd64-netinst.iso';
		const sha = await h.server.serve(iso, {kind: 'generated', size: 64 * KiB, seed: 11, fileType: 'iso'});
		const sums = `${sha}  debian-12.7.0-amd64-netinst.iso\n`;
		await h.server.serve('/d/SHA256SUMS', buffer(sums));
		await h.server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(key, sums, false)));
		const r = await h.call('POST', '/api/isos', {
			body: {download_url: h.server.url(iso), checksum_url: h.server.url('/d/SHA256SUMS'), signature_url: h.server.url('/d/SHA256SUMS.sign'), key: key.fingerprint.slice(0, 16).toLowerCase()},
		});
		expect(r.status).toBe(201);
		expect(r.json.data).toMatchObject({status: 'pending', signed_by: null});
		const id = r.json.data.id as string;
		expect(h.manager.get(id)).toMatchObject({signatureUrl: h.server.url('/d/SHA256SUMS.sign'), signingKey: key.fingerprint, requireSignature: false});
		await h.until(id, 'complete');
		const got = await h.call('GET', `/api/isos/${id}`);
		expect(got.json.data.signed_by).toMatchObject({fingerprint: key.fingerprint, user_id: 'Debian CD signing key <debian-cd@lists.debian.org>'});
		expect(Date.parse(got.json.data.signed_by.signed_at)).toBeGreaterThan(Date.now() - 120_000);
		// PUT may move it, never change what it must be signed by.
		const put = await h.call('PUT', `/api/isos/${id}`, {body: {signature_url: h.server.url('/d/other.sig')}});
		expect(put.status).toBe(400);
		expect(put.json.error.fields.map((f: {field: string}) => f.field)).toEqual(['signature_url']);
		expect(h.manager.get(id)!.signatureUrl).toBe(h.server.url('/d/SHA256SUMS.sign'));
	});

	it('require_signature: an unsigned checksum file fails signature_invalid and the image is never requested', async () => {
		const iso = '/u/unsigned-1.0-x86_64.iso';
		const sha = await h.server.serve(iso, {kind: 'generated', size: 64 * KiB, seed: 12, fileType: 'iso'});
		await h.server.serve('/u/SHA256SUMS', buffer(`${sha}  unsigned-1.0-x86_64.iso\n`));
		const r = await h.call('POST', '/api/isos', {body: {download_url: h.server.url(iso), checksum_url: h.server.url('/u/SHA256SUMS'), require_signature: true}});
		expect(r.status).toBe(201);
		const failed = await h.until(r.json.data.id, 'failed');
		expect(failed.errorCode).toBe('signature_invalid');
		expect(h.server.requestsFor(iso)).toEqual([]);
		expect(h.imageFiles()).toEqual([]);
		expect(h.tmpFiles()).toEqual([]);
	});

	it('a clear-signed checksum file by a keyring key: signed_by without any signature field', async () => {
		const key = await makeKey({name: 'Fedora (41)', email: 'fedora-41-primary@fedoraproject.org'});
		await addKeys(h.lib.config, Buffer.from(key.publicArmored), 'test');
		const iso = '/f/Fedora-Server-netinst-x86_64-41-1.4.iso';
		const sha = await h.server.serve(iso, {kind: 'generated', size: 64 * KiB, seed: 13, fileType: 'iso'});
		await h.server.serve('/f/CHECKSUM', buffer(await clearSign(key, `SHA256 (Fedora-Server-netinst-x86_64-41-1.4.iso) = ${sha}\n`)));
		const r = await h.call('POST', '/api/isos', {body: {download_url: h.server.url(iso), checksum_url: h.server.url('/f/CHECKSUM')}});
		await h.until(r.json.data.id, 'complete');
		expect((await h.call('GET', `/api/isos/${r.json.data.id}`)).json.data.signed_by.fingerprint).toBe(key.fingerprint);
	});

	it('bad signature fields are named (400 VALIDATION_FAILED) and nothing is created', async () => {
		const stranger = await makeKey();
		const cases: Array<[Record<string, unknown>, string[], RegExp]> = [
			[{key: stranger.fingerprint, checksum_url: 'https://example.org/SHA256SUMS'}, ['key'], /no key .* in the keyring/],
			[{signature_url: 'ftp://example.org/x.sig'}, ['signature_url'], /http/],
			[{signature_url: 5, key: ['x']}, ['key', 'signature_url'], /must be a string/],
			[{require_signature: 'yes'}, ['require_signature'], /true or false/],
			[{require_signature: true}, ['signature_url'], /needs something to be signed/],
		];
		for (const [fields, named, message] of cases) {
			const r = await h.call('POST', '/api/isos', {body: {download_url: 'https://example.org/sig-1.0-x86_64.iso', ...fields}});
			expect(r.status, JSON.stringify(fields)).toBe(400);
			expect(r.json.error.code).toBe('VALIDATION_FAILED');
			expect(r.json.error.fields.map((f: {field: string}) => f.field).sort()).toEqual(named);
			expect(r.json.error.details).toMatch(message);
		}

		expect(h.manager.list()).toEqual([]);
	});
});
