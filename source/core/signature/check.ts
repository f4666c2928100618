/**
 * What a download and `verify` ask of signatures, on top of verify.ts: which signature an image needs, checking a
 * fetched checksum file (detached or clear-signed, with the "unsigned with a notice" rule), the early check of a
 * signature over the image (is it readable, by a key we accept?) and the re-check of the kept files.
 * Loaded only when an image has something to do with signatures (OpenPGP.js is large).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import type {Config} from '../../config.js';
import {parseChecksumFile} from '../checksum/parse.js';
import {finalPathFor, keptFilesFor} from '../paths.js';
import type {Image, SignedBy} from '../types.js';
import {isClearSigned, SignatureError, wantsSignature} from './basics.js';
import {loadKeyring} from './keyring.js';
import {assertAcceptedSigner, readDetachedSignature, verifyClearSigned, verifyDetached} from './verify.js';

export type ChecksumFileCheck = {
	/** The text to read the digest from: the signed text of a verified clear-signed file, else the file. */
	text: string;
	signedBy: SignedBy | null;
	/** Set when a clear-signed file could not be checked and is used as unsigned. */
	notice?: string;
};

/**
 * Check a fetched checksum file: against `signature` (the bytes from the signature URL) when there is one, else its
 * own clear signature when it has one. Throws SignatureError.
 */
export async function checkChecksumFile(
	config: Config,
	image: Pick<Image, 'checksumUrl' | 'signatureUrl' | 'signingKey' | 'requireSignature'>,
	file: {bytes: Uint8Array; text: string},
	signature: Uint8Array | undefined,
	onBadKey?: (fingerprint: string, error: unknown) => void,
): Promise<ChecksumFileCheck> {
	const what = image.checksumUrl ?? 'the checksum file';
	const required = wantsSignature(image, config);
	if (signature) {
		const parsed = await readDetachedSignature(signature, image.signatureUrl ?? 'the signature');
		const keyring = await loadKeyring(config, onBadKey);
		const signedBy = await verifyDetached({data: file.bytes, signature: parsed, keyring, pin: image.signingKey, what});
		return {text: file.text, signedBy};
	}

	if (!isClearSigned(file.text)) {
		if (required) throw notSigned(what, image);
		return {text: file.text, signedBy: null};
	}

	const keyring = await loadKeyring(config, onBadKey);
	try {
		const {signedBy, text} = await verifyClearSigned(file.text, keyring, image.signingKey, what);
		return {text, signedBy};
	} catch (error) {
		if (error instanceof SignatureError && !error.checkable && !required) {
			return {text: file.text, signedBy: null, notice: `${error.message}; using it as an unsigned checksum file`};
		}

		throw error;
	}
}

function notSigned(what: string, image: Pick<Image, 'signingKey' | 'requireSignature'>): SignatureError {
	const why = image.signingKey ? `the image is pinned to key ${image.signingKey}` : 'a signature is required (--require-signature)';
	return new SignatureError('signature_invalid', `${what} is not signed (not clear-signed, and no --signature-url), but ${why}`);
}

/** Before any image byte is fetched: the signature over the image is readable and made by a key this image accepts. */
export async function precheckImageSignature(config: Config, image: Pick<Image, 'signatureUrl' | 'signingKey'>, signature: Uint8Array): Promise<void> {
	const parsed = await readDetachedSignature(signature, image.signatureUrl ?? 'the signature');
	assertAcceptedSigner(parsed, await loadKeyring(config), image.signingKey, image.signatureUrl ?? 'the image');
}

/** After the download, before the rename: the detached signature over the downloaded file (read once more). */
export async function verifyImageFile(config: Config, image: Pick<Image, 'signatureUrl' | 'signingKey' | 'downloadUrl'>, signature: Uint8Array, file: string): Promise<SignedBy> {
	const parsed = await readDetachedSignature(signature, image.signatureUrl ?? 'the signature');
	const keyring = await loadKeyring(config);
	const data = Readable.toWeb(fs.createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
	return verifyDetached({data, signature: parsed, keyring, pin: image.signingKey, what: `the downloaded file (${image.downloadUrl})`});
}

async function readKept(dir: string, name: string): Promise<Buffer> {
	const file = path.join(dir, name);
	const stat = fs.lstatSync(file, {throwIfNoEntry: false});
	if (!stat) throw new Error(`${name} (kept beside the image) is missing`);
	if (!stat.isFile()) throw new Error(`${name} (kept beside the image) is not a regular file`);
	return fsp.readFile(file);
}

/**
 * `isoman verify` on a signed image: the kept checksum file and signature still verify against the keyring and still
 * vouch for the image's digest. Returns what is wrong, or undefined.
 */
export async function recheckKept(config: Config, image: Image): Promise<string | undefined> {
	if (!image.signedByFingerprint) return undefined;
	const dir = path.dirname(finalPathFor(config, image));
	const kept = keptFilesFor(image);
	const pin = image.signedByFingerprint;
	try {
		const keyring = await loadKeyring(config);
		const checksums = kept.find(k => k.role === 'checksums');
		if (!checksums) {
			const signature = kept.find(k => k.role === 'image-signature')!;
			const parsed = await readDetachedSignature(await readKept(dir, signature.name), signature.name);
			const data = Readable.toWeb(fs.createReadStream(finalPathFor(config, image))) as unknown as ReadableStream<Uint8Array>;
			await verifyDetached({data, signature: parsed, keyring, pin, what: image.filename});
			return undefined;
		}

		const bytes = await readKept(dir, checksums.name);
		const text = new TextDecoder('utf-8').decode(bytes);
		const detached = kept.find(k => k.role === 'checksums-signature');
		let signedText = text;
		if (detached) {
			const parsed = await readDetachedSignature(await readKept(dir, detached.name), detached.name);
			await verifyDetached({data: bytes, signature: parsed, keyring, pin, what: checksums.name});
		} else {
			signedText = (await verifyClearSigned(text, keyring, pin, checksums.name)).text;
		}

		const digest = image.expectedChecksum;
		if (digest && !parseChecksumFile(signedText).entries.some(e => e.hex === digest) && parseChecksumFile(signedText).bare?.hex !== digest) {
			return `${checksums.name} no longer lists the digest the image was verified against (${digest})`;
		}

		return undefined;
	} catch (error) {
		return error instanceof Error ? error.message : String(error);
	}
}
