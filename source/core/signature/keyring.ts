/**
 * The OpenPGP keyring in `<data>/keys/`: reading keys given by a user (armored or binary, one key or a publisher's
 * KEYS file of several), refusing what cannot vouch for a signature, and storing one armored public key per file.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import * as openpgp from 'openpgp';
import type {Config} from '../../config.js';
import {writeFileAtomic} from '../checksum/sidecar.js';
import {ensureRealDir, removeFile} from '../safe-fs.js';
import {IsomanError} from '../types.js';
import {cleanText} from './basics.js';
import {keyFileName, keyFilePath, keyringFingerprints, resolveKeyRef} from './keyring-files.js';

export type KeyInfo = {
	/** Upper-case hex. */
	fingerprint: string;
	/** The primary user ID (cleaned), or "" when the key has none. */
	userId: string;
	userIds: string[];
	algorithm: string;
	createdAt: string;
	/** Null: never expires. */
	expiresAt: string | null;
	/** Fingerprints of the (sub)keys that can sign now. */
	signingKeys: string[];
};

export type KeyRefusal = {fingerprint?: string; userId?: string; reason: string};

const BEGIN_PUBLIC = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END_PUBLIC = '-----END PGP PUBLIC KEY BLOCK-----';
const BEGIN_PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----';

const upper = (fingerprint: string) => fingerprint.toUpperCase();

function algorithmOf(key: openpgp.Key): string {
	const info = key.getAlgorithmInfo() as {algorithm: string; bits?: number; curve?: string};
	if (info.bits) return `${info.algorithm.startsWith('rsa') ? 'RSA' : info.algorithm} ${info.bits}`;
	if (info.curve) return info.curve === 'ed25519Legacy' ? 'Ed25519' : info.curve;
	return info.algorithm === 'ed25519' ? 'Ed25519' : info.algorithm;
}

async function primaryUserId(key: openpgp.Key): Promise<string> {
	try {
		const primary = await key.getPrimaryUser();
		return cleanText(primary.user.userID?.userID ?? '');
	} catch {
		return cleanText(key.getUserIDs()[0] ?? '');
	}
}

export async function describeKey(key: openpgp.Key): Promise<KeyInfo> {
	const expiration = await key.getExpirationTime().catch(() => null);
	const signingKeys: string[] = [];
	for (const candidate of key.getKeys()) {
		try {
			const signing = await key.getSigningKey(candidate.getKeyID());
			if (!signingKeys.includes(upper(signing.getFingerprint()))) signingKeys.push(upper(signing.getFingerprint()));
		} catch {
			// not a signing key, or not usable now
		}
	}

	return {
		fingerprint: upper(key.getFingerprint()),
		userId: await primaryUserId(key),
		userIds: key.getUserIDs().map(id => cleanText(id)),
		algorithm: algorithmOf(key),
		createdAt: key.getCreationTime().toISOString(),
		expiresAt: expiration instanceof Date ? expiration.toISOString() : null,
		signingKeys,
	};
}

/** Every key in `bytes`: armored blocks (any number, with text around them, as in a KEYS file) or binary packets. */
export async function readKeyData(bytes: Uint8Array, source: string): Promise<openpgp.Key[]> {
	const text = new TextDecoder('utf-8', {fatal: false}).decode(bytes);
	if (text.includes(BEGIN_PRIVATE)) {
		throw new IsomanError('invalid', `${source} holds a secret key: give the public key (gpg --armor --export FINGERPRINT); a secret key should never leave its owner`, 'key');
	}

	const keys: openpgp.Key[] = [];
	try {
		if (text.includes(BEGIN_PUBLIC)) {
			// Split on the armour lines with indexOf (linear), then let OpenPGP.js read each block.
			let from = 0;
			for (;;) {
				const begin = text.indexOf(BEGIN_PUBLIC, from);
				if (begin < 0) break;
				const end = text.indexOf(END_PUBLIC, begin);
				if (end < 0) throw new Error('an armored key block has no END line');
				from = end + END_PUBLIC.length;
				keys.push(...(await openpgp.readKeys({armoredKeys: text.slice(begin, from)})));
			}
		} else {
			keys.push(...(await openpgp.readKeys({binaryKeys: bytes})));
		}
	} catch (error) {
		throw new IsomanError('invalid', `${source} is not an OpenPGP public key: ${cleanText(error instanceof Error ? error.message : String(error))}`, 'key');
	}

	if (keys.length === 0) throw new IsomanError('invalid', `${source} holds no OpenPGP key`, 'key');
	return keys;
}

/** Why `key` cannot vouch for a signature now, or undefined when it can. Each case has its own message. */
export async function refusalOf(key: openpgp.Key, now = new Date()): Promise<string | undefined> {
	if (key.isPrivate()) return 'it is a secret key: give the public key (gpg --armor --export FINGERPRINT); a secret key should never leave its owner';
	if (await key.isRevoked(undefined, undefined, now).catch(() => false)) return 'it is revoked: its owner withdrew it; get the key that replaced it';
	const expiration = await key.getExpirationTime().catch(() => null);
	if (expiration instanceof Date && expiration.getTime() <= now.getTime()) {
		return `it expired on ${expiration.toISOString().slice(0, 10)}: get its current version from the publisher`;
	}

	try {
		await key.verifyPrimaryKey(now);
	} catch (error) {
		return `it is not valid: ${cleanText(error instanceof Error ? error.message : String(error))}`;
	}

	try {
		await key.getSigningKey(undefined, now);
	} catch {
		return 'it has no usable signing key or subkey (only encryption, or every signing subkey expired or revoked)';
	}

	return undefined;
}

export type AddKeysResult = {added: KeyInfo[]; updated: KeyInfo[]; refused: KeyRefusal[]};

/**
 * Store every usable key of `bytes` (a key already there is merged with the new copy: new subkeys, new
 * signatures). Nothing is written unless at least one key is usable. Throws IsomanError('invalid') when none is.
 */
export async function addKeys(config: Pick<Config, 'keysDir' | 'dataDir'>, bytes: Uint8Array, source: string): Promise<AddKeysResult> {
	const keys = await readKeyData(bytes, source);
	const result: AddKeysResult = {added: [], updated: [], refused: []};
	const usable: openpgp.Key[] = [];
	for (const key of keys) {
		const reason = await refusalOf(key);
		if (reason) result.refused.push({fingerprint: upper(key.getFingerprint()), userId: await primaryUserId(key), reason});
		else usable.push(key);
	}

	if (usable.length === 0) {
		const reasons = result.refused.map(r => `${r.fingerprint ?? '?'}${r.userId ? ` (${r.userId})` : ''}: ${r.reason}`);
		throw new IsomanError('invalid', `nothing added from ${source}: ${reasons.join('; ')}`, 'key');
	}

	// Created one directory at a time under the data dir; a link there is refused, never written through.
	ensureRealDir(config.dataDir, config.keysDir);
	for (const key of usable) {
		const fingerprint = upper(key.getFingerprint());
		const existing = await readKeyFile(config, fingerprint);
		const merged = existing ? await existing.update(key.toPublic()) : key.toPublic();
		await writeFileAtomic(config.keysDir, keyFileName(fingerprint), merged.armor(), 0o644);
		(existing ? result.updated : result.added).push(await describeKey(merged));
	}

	return result;
}

async function readKeyFile(config: Pick<Config, 'keysDir'>, fingerprint: string): Promise<openpgp.PublicKey | undefined> {
	const file = keyFilePath(config, fingerprint);
	const stat = fs.lstatSync(file, {throwIfNoEntry: false});
	if (!stat?.isFile()) return undefined;
	const key = await openpgp.readKey({armoredKey: await fsp.readFile(file, 'utf8')});
	return key.isPrivate() ? undefined : (key as openpgp.PublicKey);
}

/** Every key of the keyring. A file that cannot be read is reported through `onBad` and skipped. */
export async function loadKeyring(config: Pick<Config, 'keysDir'>, onBad?: (fingerprint: string, error: unknown) => void): Promise<openpgp.PublicKey[]> {
	const keys: openpgp.PublicKey[] = [];
	for (const fingerprint of keyringFingerprints(config)) {
		try {
			const key = await readKeyFile(config, fingerprint);
			if (key && upper(key.getFingerprint()) === fingerprint) keys.push(key);
			else onBad?.(fingerprint, new Error('the file holds a different key'));
		} catch (error) {
			onBad?.(fingerprint, error);
		}
	}

	return keys;
}

export async function listKeys(config: Pick<Config, 'keysDir'>): Promise<KeyInfo[]> {
	return Promise.all((await loadKeyring(config)).map(async key => describeKey(key)));
}

/** Delete the key `ref` names (a unique prefix works); returns what it was. */
export async function removeKey(config: Pick<Config, 'keysDir' | 'dataDir'>, ref: string): Promise<KeyInfo | {fingerprint: string}> {
	const fingerprint = resolveKeyRef(config, ref, 'fingerprint');
	const key = await readKeyFile(config, fingerprint).catch(() => undefined);
	const info = key ? await describeKey(key) : {fingerprint};
	await removeFile(config.dataDir, keyFilePath(config, fingerprint));
	return info;
}
