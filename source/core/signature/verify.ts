/**
 * Checking OpenPGP signatures against the keyring: detached (armored or binary) over bytes or a stream, and
 * clear-signed text. Signing subkeys count as their primary key; `pin` narrows the accepted keys to one.
 * SHA-1, MD5 and RIPEMD-160 signatures are refused. Every failure is a SignatureError naming the key.
 */
import * as openpgp from 'openpgp';
import type {SignedBy} from '../types.js';
import {cleanText, SignatureError} from './basics.js';

const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const WEAK_HASHES: ReadonlyMap<number, string> = new Map([
	[openpgp.enums.hash.md5, 'MD5'],
	[openpgp.enums.hash.sha1, 'SHA-1'],
	[openpgp.enums.hash.ripemd, 'RIPEMD-160'],
]);

const upper = (s: string) => s.toUpperCase();
const message = (error: unknown) => cleanText(error instanceof Error ? error.message : String(error));

function looksLikeHtml(text: string): boolean {
	return /^\s*<(!doctype\s+html|html|head|body|\?xml)/i.test(text.slice(0, 512));
}

/** A detached signature as fetched from `source`, armored or binary. */
export async function readDetachedSignature(bytes: Uint8Array, source: string): Promise<openpgp.Signature> {
	const text = new TextDecoder('utf-8', {fatal: false}).decode(bytes.subarray(0, 64 * 1024));
	if (looksLikeHtml(text)) throw new SignatureError('signature_source', `${source} is an HTML page, not an OpenPGP signature`);
	try {
		if (text.includes(BEGIN_SIGNATURE)) return await openpgp.readSignature({armoredSignature: new TextDecoder().decode(bytes)});
		return await openpgp.readSignature({binarySignature: bytes});
	} catch (error) {
		throw new SignatureError('signature_source', `${source} is not an OpenPGP signature: ${message(error)}`);
	}
}

type Candidate = {packet: openpgp.SignaturePacket; keyId: string; key?: openpgp.PublicKey};

function describe(c: Candidate): string {
	const user = c.key?.getUserIDs()[0];
	return `${c.key ? upper(c.key.getFingerprint()) : c.keyId}${user ? ` (${cleanText(user)})` : ''}`;
}

/** Which keyring key made each signature packet, and which of them this check accepts. */
function candidates(packets: openpgp.SignaturePacket[], keyring: openpgp.PublicKey[]): Candidate[] {
	return packets.map(packet => {
		const keyId = packet.issuerKeyID;
		const key = keyring.find(k => k.getKeys(keyId).length > 0);
		return {packet, keyId: upper(keyId.toHex()), ...(key ? {key} : {})};
	});
}

/**
 * The signatures a check may rely on. Throws when there is none: SHA-1 (etc.) by an accepted key, a key other than
 * the pinned one, or no keyring key at all.
 */
function usable(all: Candidate[], pin: string | null, what: string): Candidate[] {
	const known = all.filter(c => c.key);
	const accepted = known.filter(c => !pin || upper(c.key!.getFingerprint()) === pin);
	const strong = accepted.filter(c => !WEAK_HASHES.has(c.packet.hashAlgorithm ?? 0));
	if (strong.length > 0) return strong;
	const weak = accepted[0];
	if (weak) {
		const hash = WEAK_HASHES.get(weak.packet.hashAlgorithm ?? 0)!;
		throw new SignatureError('signature_invalid', `${what} is signed with ${hash} by ${describe(weak)}; isoman refuses ${hash} signatures (collisions can be forged): ask the publisher for a SHA-256 signature`);
	}

	const other = known[0];
	if (pin && other) {
		throw new SignatureError('signature_invalid', `${what} is signed by ${describe(other)}, not by the key this image is pinned to (${pin})`);
	}

	if (all.length === 0) throw new SignatureError('signature_invalid', `${what}: the signature holds no signature packet`, false);
	const ids = [...new Set(all.map(c => c.keyId))];
	throw new SignatureError(
		'signature_unknown_key',
		`${what} is signed by key ${ids.join(', ')}, which is not in the keyring: get the publisher's key from their web site and add it with isoman key add FILE|URL`,
		false,
	);
}

async function firstVerified(results: openpgp.VerifyMessageResult['signatures'], accepted: Candidate[], what: string): Promise<SignedBy> {
	// Every `verified` promise is awaited (or caught): one left alone would reject unhandled.
	const outcomes = await Promise.all(results.map(async r => r.verified.then(() => undefined, (error: unknown) => error)));
	const failures: string[] = [];
	for (const [index, result] of results.entries()) {
		const candidate = accepted.find(c => c.key!.getKeys(result.keyID).length > 0 && upper(result.keyID.toHex()) === c.keyId);
		if (!candidate) continue;
		const failure = outcomes[index];
		if (failure !== undefined) {
			failures.push(`${describe(candidate)}: ${message(failure)}`);
			continue;
		}

		const key = candidate.key!;
		let userId = '';
		try {
			userId = (await key.getPrimaryUser()).user.userID?.userID ?? '';
		} catch {
			userId = key.getUserIDs()[0] ?? '';
		}

		const created = candidate.packet.created ?? new Date();
		return {fingerprint: upper(key.getFingerprint()), userId: cleanText(userId), signedAt: created.toISOString()};
	}

	throw new SignatureError(
		'signature_invalid',
		`${what} does not match its signature (${failures.join('; ') || 'no signature by an accepted key'}): it was changed after it was signed, or the signature is for another file`,
	);
}

/** Throws unless a signature packet of `signature` is by a key the check accepts (no hashing: before a download). */
export function assertAcceptedSigner(signature: openpgp.Signature, keyring: openpgp.PublicKey[], pin: string | null, what: string): void {
	usable(candidates(signature.packets as unknown as openpgp.SignaturePacket[], keyring), pin, what);
}

export type DetachedCheck = {
	/** The signed bytes, whole or as a stream (read to its end here). */
	data: Uint8Array | ReadableStream<Uint8Array>;
	signature: openpgp.Signature;
	keyring: openpgp.PublicKey[];
	/** Upper-case primary fingerprint, or null for any keyring key. */
	pin: string | null;
	/** For messages: "https://…/SHA256SUMS". */
	what: string;
};

export async function verifyDetached(check: DetachedCheck): Promise<SignedBy> {
	const accepted = usable(candidates(check.signature.packets as unknown as openpgp.SignaturePacket[], check.keyring), check.pin, check.what);
	const message =
		check.data instanceof Uint8Array
			? await openpgp.createMessage({binary: check.data})
			: await openpgp.createMessage({binary: check.data as ReadableStream<Uint8Array>});
	const result = await openpgp.verify({
		message,
		signature: check.signature,
		verificationKeys: accepted.map(c => c.key!),
		format: 'binary',
		expectSigned: false,
	});
	if (!(result.data instanceof Uint8Array)) {
		const reader = (result.data as ReadableStream<Uint8Array>).getReader();
		while (!(await reader.read()).done) {
			// consumed: the signatures resolve once every byte was hashed
		}
	}

	return firstVerified(result.signatures, accepted, check.what);
}

export type ClearSigned = {signedBy: SignedBy; text: string};

/** Verify a clear-signed text; returns the signed text (dash-escaping undone) to read the checksums from. */
export async function verifyClearSigned(text: string, keyring: openpgp.PublicKey[], pin: string | null, what: string): Promise<ClearSigned> {
	let cleartext: openpgp.CleartextMessage;
	try {
		cleartext = await openpgp.readCleartextMessage({cleartextMessage: text});
	} catch (error) {
		throw new SignatureError('signature_invalid', `${what} is clear-signed, but its signature cannot be read: ${message(error)}`, false);
	}

	const packets = (cleartext as unknown as {signature: openpgp.Signature}).signature.packets as unknown as openpgp.SignaturePacket[];
	const accepted = usable(candidates(packets, keyring), pin, what);
	const result = await openpgp.verify({message: cleartext, verificationKeys: accepted.map(c => c.key!), expectSigned: false});
	const signedBy = await firstVerified(result.signatures, accepted, what);
	return {signedBy, text: result.data};
}
