/**
 * The signature a publisher usually puts next to a checksum file: `SHA256SUMS` → `SHA256SUMS.gpg`, `.sign`, `.asc`,
 * `.sig`; a `CHECKSUM` file (Fedora, Rocky, Alma) is clear-signed instead. Pure (no I/O): probe.ts asks which
 * exists. Nothing here is required: a found URL is a proposal.
 */

const EXTENSIONS = ['.gpg', '.sign', '.asc', '.sig'] as const;

export type SignatureProposal = {
	/** URLs to try, in order (none when the checksum file is clear-signed by convention). */
	candidates: string[];
	/** The checksum file is usually clear-signed (its own signature is checked when it arrives). */
	clearSigned: boolean;
};

export function signatureCandidates(checksumUrl: string): SignatureProposal {
	let url: URL;
	try {
		url = new URL(checksumUrl.trim());
	} catch {
		return {candidates: [], clearSigned: false};
	}

	url.search = '';
	url.hash = '';
	const base = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
	if (/CHECKSUM$/i.test(base)) return {candidates: [], clearSigned: true};
	if (base === '' || /\.(gpg|sign|asc|sig)$/i.test(base)) return {candidates: [], clearSigned: false};
	return {candidates: EXTENSIONS.map(ext => `${url.origin}${url.pathname}${ext}`), clearSigned: false};
}
