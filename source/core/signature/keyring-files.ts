/**
 * The keyring's files, without parsing a key (no OpenPGP.js: cheap enough for `add`'s validation):
 * `<data>/keys/<FINGERPRINT>.asc`, one armored public key each.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Config} from '../../config.js';
import {IsomanError} from '../types.js';

const KEY_FILE = /^([0-9A-F]{40}|[0-9A-F]{64})\.asc$/;

export function keyFileName(fingerprint: string): string {
	return `${fingerprint.toUpperCase()}.asc`;
}

/** The keys directory, if it exists; refuses one that is a symlink (nothing is read or written through one). */
export function keysDirectory(config: Pick<Config, 'keysDir'>): string | undefined {
	const stat = fs.lstatSync(config.keysDir, {throwIfNoEntry: false});
	if (!stat) return undefined;
	if (!stat.isDirectory()) throw new IsomanError('io', `${config.keysDir} is not a directory (a symlink is not followed): move it away`);
	return config.keysDir;
}

/** Fingerprints of the keys in the keyring (from the file names; regular files only), sorted. */
export function keyringFingerprints(config: Pick<Config, 'keysDir'>): string[] {
	const dir = keysDirectory(config);
	if (!dir) return [];
	return fs
		.readdirSync(dir, {withFileTypes: true})
		.filter(entry => entry.isFile() && KEY_FILE.test(entry.name))
		.map(entry => entry.name.slice(0, -'.asc'.length))
		.sort();
}

/** `64A2 …`, `0x64a2…` → `64A2…`; undefined when it is not hex. */
export function normaliseKeyRef(ref: string): string | undefined {
	const compact = ref.replaceAll(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
	return /^[0-9A-F]+$/.test(compact) ? compact : undefined;
}

/**
 * The keyring fingerprint `ref` names: the full fingerprint, a unique prefix of at least 8 hex digits, or a long key
 * ID (the last 16). Throws IsomanError('invalid', …, field) when it names none or several.
 */
export function resolveKeyRef(config: Pick<Config, 'keysDir'>, ref: string, field = 'key'): string {
	const wanted = normaliseKeyRef(ref);
	if (!wanted || wanted.length < 8) {
		throw new IsomanError('invalid', `${field}: "${ref}" is not a key fingerprint (at least 8 hex digits; isoman key list shows them)`, field);
	}

	const all = keyringFingerprints(config);
	const matches = all.filter(fpr => fpr.startsWith(wanted) || (wanted.length === 16 && fpr.endsWith(wanted)));
	if (matches.length === 1) return matches[0]!;
	if (matches.length > 1) {
		throw new IsomanError('invalid', `${field}: ${wanted} matches ${matches.length} keys (${matches.join(', ')}): give more digits`, field);
	}

	throw new IsomanError('invalid', `${field}: no key ${wanted} in the keyring (isoman key list shows it); add it first with isoman key add FILE|URL`, field);
}

export function keyFilePath(config: Pick<Config, 'keysDir'>, fingerprint: string): string {
	return path.join(config.keysDir, keyFileName(fingerprint));
}
