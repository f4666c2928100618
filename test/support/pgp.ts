/** OpenPGP keys and signatures made at test time with OpenPGP.js (no fixture keys, nothing from outside). */
import * as openpgp from 'openpgp';

export type TestKey = {
	privateKey: openpgp.PrivateKey;
	/** Armored public key, as a publisher puts it on their site. */
	publicArmored: string;
	publicBinary: Uint8Array;
	/** Upper-case hex, as isoman prints it. */
	fingerprint: string;
	/** Upper-case long key ID of the key that signs (the subkey when `signingSubkey`). */
	signingKeyId: string;
};

export type KeyOptions = {
	type?: 'ed25519' | 'rsa';
	name?: string;
	email?: string;
	/** Sign with a dedicated signing subkey (the primary still certifies). */
	signingSubkey?: boolean;
	/** Created this many seconds ago and valid for `expiresAfter` seconds. */
	createdAgo?: number;
	expiresAfter?: number;
};

export async function makeKey(options: KeyOptions = {}): Promise<TestKey> {
	const date = options.createdAgo ? new Date(Date.now() - options.createdAgo * 1000) : undefined;
	const {privateKey} = await openpgp.generateKey({
		type: options.type === 'rsa' ? 'rsa' : 'ecc',
		...(options.type === 'rsa' ? {rsaBits: 2048} : {curve: 'ed25519Legacy' as const}),
		userIDs: [{name: options.name ?? 'Test CD signing key', email: options.email ?? 'cd@example.org'}],
		format: 'object',
		...(date ? {date} : {}),
		...(options.expiresAfter ? {keyExpirationTime: options.expiresAfter} : {}),
		...(options.signingSubkey ? {subkeys: [{}, {sign: true}]} : {}),
	});
	const signing = options.signingSubkey ? privateKey.subkeys.at(-1)! : privateKey;
	const publicKey = privateKey.toPublic();
	return {
		privateKey,
		publicArmored: publicKey.armor(),
		publicBinary: publicKey.write(),
		fingerprint: privateKey.getFingerprint().toUpperCase(),
		signingKeyId: signing.getKeyID().toHex().toUpperCase(),
	};
}

function signingKeyIDs(key: TestKey) {
	return key.privateKey.getKeys().filter(k => k.getKeyID().toHex().toUpperCase() === key.signingKeyId).map(k => k.getKeyID());
}

export async function detachedSignature(key: TestKey, data: Uint8Array | string, armored: boolean): Promise<Buffer> {
	const message = await openpgp.createMessage({binary: typeof data === 'string' ? Buffer.from(data) : data});
	const signed = armored
		? await openpgp.sign({message, signingKeys: key.privateKey, signingKeyIDs: signingKeyIDs(key), detached: true, format: 'armored'})
		: await openpgp.sign({message, signingKeys: key.privateKey, signingKeyIDs: signingKeyIDs(key), detached: true, format: 'binary'});
	return Buffer.from(signed as string | Uint8Array);
}

export async function clearSign(key: TestKey, text: string): Promise<string> {
	return openpgp.sign({message: await openpgp.createCleartextMessage({text}), signingKeys: key.privateKey, signingKeyIDs: signingKeyIDs(key)});
}

/** A revoked copy of the key's public half, as published after a revocation. */
export async function revokedPublicKey(key: TestKey): Promise<string> {
	const {publicKey} = await openpgp.revokeKey({key: key.privateKey, format: 'armored'});
	return publicKey;
}

/** A detached SHA-1 signature (OpenPGP.js no longer makes one on request: the packet is built by hand). RSA keys only. */
export async function sha1Signature(key: TestKey, data: Uint8Array | string): Promise<Buffer> {
	const message = await openpgp.createMessage({binary: typeof data === 'string' ? Buffer.from(data) : data});
	const signingKey = await key.privateKey.getSigningKey();
	const packet = new openpgp.SignaturePacket();
	packet.version = signingKey.keyPacket.version;
	packet.signatureType = openpgp.enums.signature.binary;
	packet.publicKeyAlgorithm = signingKey.keyPacket.algorithm;
	packet.hashAlgorithm = openpgp.enums.hash.sha1;
	packet.issuerKeyID = signingKey.getKeyID();
	packet.issuerFingerprint = signingKey.keyPacket.getFingerprintBytes()!;
	packet.issuerKeyVersion = signingKey.keyPacket.version;
	// The typings lag the code: sign(key, data, date, detached, config).
	await (packet.sign as (...args: unknown[]) => Promise<void>).call(packet, signingKey.keyPacket, message.packets[0], new Date(), true, {...openpgp.config, nonDeterministicSignaturesViaNotation: false});
	const list = new openpgp.PacketList<openpgp.SignaturePacket>();
	list.push(packet);
	return Buffer.from(new openpgp.Signature(list).write() as Uint8Array);
}
