/**
 * Signature basics that need no OpenPGP.js (cheap to import anywhere): the error, when an image asks for a signature,
 * whether a text is clear-signed, and cleaning key text for display.
 */
import type {Config} from '../../config.js';
import {displayText} from '../display-text.js';
import {IsomanError, type Image} from '../types.js';

export type SignatureErrorCode = 'signature_invalid' | 'signature_unknown_key' | 'signature_source';

export class SignatureError extends IsomanError {
	declare readonly code: SignatureErrorCode;

	constructor(
		code: SignatureErrorCode,
		message: string,
		/**
		 * False when the signature could not be checked at all (its key is not in the keyring, or it cannot be read): a
		 * clear-signed checksum file that nobody asked to be signed is then used as unsigned, with a notice.
		 */
		readonly checkable = true,
	) {
		super(code, message, 'signature_url');
		this.name = 'SignatureError';
	}
}

/**
 * Text from a key (a user ID) or a server, made safe to store and show: the display sanitiser's escapes for control,
 * bidi and invisible characters, and bounded (a user ID is the publisher's to choose, and hostile ones exist).
 */
export function cleanText(text: string, max = 200): string {
	const clean = displayText(text);
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** `64A2…2FFB`: the first and last four digits, as people compare fingerprints at a glance. */
export function shortFingerprint(fingerprint: string): string {
	return fingerprint.length > 12 ? `${fingerprint.slice(0, 4)}…${fingerprint.slice(-4)}` : fingerprint;
}

/** A signature was asked for: a signature URL, a pinned key, or --require-signature (on the image or the owner). */
export function wantsSignature(image: Pick<Image, 'signatureUrl' | 'signingKey' | 'requireSignature'>, config: Pick<Config, 'requireSignature'>): boolean {
	return Boolean(image.signatureUrl || image.signingKey || image.requireSignature || config.requireSignature);
}

const CLEAR_SIGNED = /^-----BEGIN PGP SIGNED MESSAGE-----\r?$/m;

/** The text holds a PGP clear-signed message (its armour line on a line of its own). */
export function isClearSigned(text: string): boolean {
	return CLEAR_SIGNED.test(text);
}
