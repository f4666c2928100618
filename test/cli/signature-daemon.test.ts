/**
 * Signatures while a daemon owns the library: `isoman add --signature-url/--key/--require-signature` goes through
 * its command queue (the built CLI, a real daemon process, a real test server), the key is resolved against the
 * keyring and this process's --require-signature counts; the add form's HEAD probe works from a client too.
 */
import {describe, expect, it} from 'vitest';
import {ClientLibrary} from '../../source/core/client-library.js';
import {silentLogger} from '../../source/core/log.js';
import {addKeys} from '../../source/core/signature/keyring.js';
import {detachedSignature, makeKey} from '../support/pgp.js';
import {isEvent, isoman, KiB, startDaemon, withLibraryAndServer, type ImageJson} from './helpers.js';

const {setUp} = withLibraryAndServer();
const buffer = (data: string | Uint8Array) => ({kind: 'buffer' as const, data: Buffer.from(data)});

describe('signatures through a running daemon', () => {
	it('add with --signature-url and --key completes signed; --require-signature given to add (not the daemon) fails an unsigned one before its image is asked for', async () => {
		const {dir, config, server} = await setUp();
		const key = await makeKey({name: 'Debian CD signing key', email: 'debian-cd@lists.debian.org'});
		await addKeys(config, Buffer.from(key.publicArmored), 'test');
		const iso = '/d/debian-12.7.0-amd64-netinst.iso';
		const sha = await server.serve(iso, {kind: 'generated', size: 256 * KiB, seed: 21, fileType: 'iso'});
		const sums = `${sha}  debian-12.7.0-amd64-netinst.iso\n`;
		await server.serve('/d/SHA256SUMS', buffer(sums));
		await server.serve('/d/SHA256SUMS.sign', buffer(await detachedSignature(key, sums, false)));
		const unsigned = '/u/unsigned-1.0-x86_64.iso';
		const unsignedSha = await server.serve(unsigned, {kind: 'generated', size: 64 * KiB, seed: 22, fileType: 'iso'});
		await server.serve('/u/SHA256SUMS', buffer(`${unsignedSha}  unsigned-1.0-x86_64.iso\n`));

		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));
		const added = JSON.parse(
			(await isoman(dir, ['add', server.url(iso), '--checksum-url', server.url('/d/SHA256SUMS'), '--signature-url', server.url('/d/SHA256SUMS.sign'), '--key', key.fingerprint.slice(-16), '--json'])).stdout,
		) as ImageJson;
		expect(added).toMatchObject({signature_url: server.url('/d/SHA256SUMS.sign'), signature_key: key.fingerprint, require_signature: false, signed_by: null});
		await daemon.next(isEvent('complete', added.id));
		const shown = JSON.parse((await isoman(dir, ['show', added.id, '--json'])).stdout) as ImageJson;
		expect(shown.signed_by).toMatchObject({fingerprint: key.fingerprint, user_id: 'Debian CD signing key <debian-cd@lists.debian.org>'});

		const strict = JSON.parse((await isoman(dir, ['add', server.url(unsigned), '--checksum-url', server.url('/u/SHA256SUMS'), '--require-signature', '--json'])).stdout) as ImageJson;
		expect(strict.require_signature).toBe(true);
		await daemon.next(isEvent('failed', strict.id));
		const failed = JSON.parse((await isoman(dir, ['show', strict.id, '--json'])).stdout) as ImageJson;
		expect(failed.error_code).toBe('signature_invalid');
		expect(server.requestsFor(unsigned)).toEqual([]);

		// A key the keyring does not hold: refused by the daemon, named, exit 2, nothing added.
		const stranger = await makeKey();
		const refused = await isoman(dir, ['add', server.url('/x/other-1.0-x86_64.iso'), '--checksum-url', server.url('/u/SHA256SUMS'), '--key', stranger.fingerprint], 2);
		expect(refused.stderr).toContain(`key: no key ${stranger.fingerprint} in the keyring`);
		expect(((JSON.parse((await isoman(dir, ['list', '--json'])).stdout)) as ImageJson[]).map(i => i.id).sort()).toEqual([added.id, strict.id].sort());

		// The add form's proposal from a process that does not own the library: a HEAD request of its own.
		const client = new ClientLibrary({config, log: silentLogger, ownerPid: daemon.pid, ownerRole: 'daemon'});
		try {
			expect(await client.findSignatureUrl(server.url('/d/SHA256SUMS'))).toBe(server.url('/d/SHA256SUMS.sign'));
			expect(await client.findSignatureUrl(server.url('/u/SHA256SUMS'))).toBeUndefined();
		} finally {
			await client.close();
		}
	});
});
