/**
 * What the first bytes of each file type must look like ("refuse content that is not what it claims").
 * Compressed types (`qcow2.xz`) are checked by their outer compression's magic.
 */

type Magic = {offset: number; bytes: Buffer; label: string};

const ascii = (s: string) => Buffer.from(s, 'latin1');

const MAGICS: Record<string, Magic[]> = {
	iso: [{offset: 0x80_01, bytes: ascii('CD001'), label: 'ISO 9660 "CD001" at 0x8001'}],
	qcow2: [{offset: 0, bytes: Buffer.from([0x51, 0x46, 0x49, 0xfb]), label: 'qcow2 "QFI\\xfb"'}],
	vhdx: [{offset: 0, bytes: ascii('vhdxfile'), label: 'VHDX "vhdxfile"'}],
	vmdk: [
		{offset: 0, bytes: ascii('KDMV'), label: 'VMDK "KDMV"'},
		{offset: 0, bytes: ascii('# Disk DescriptorFile'), label: 'VMDK descriptor'},
	],
	vdi: [{offset: 0x40, bytes: Buffer.from([0x7f, 0x10, 0xda, 0xbe]), label: 'VDI signature at 0x40'}],
	xz: [{offset: 0, bytes: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), label: 'xz'}],
	gz: [{offset: 0, bytes: Buffer.from([0x1f, 0x8b]), label: 'gzip'}],
	zst: [{offset: 0, bytes: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), label: 'zstd'}],
	bz2: [{offset: 0, bytes: ascii('BZh'), label: 'bzip2 "BZh"'}],
};

/** The magic that applies to a file type such as `iso` or `qcow2.xz` (the outer layer), or undefined (img, raw, vhd). */
function magicFor(fileType: string): Magic[] | undefined {
	const outer = fileType.split('.').at(-1) ?? fileType;
	return MAGICS[outer];
}

/** How many leading bytes `checkContent` needs to decide for this type. */
export function bytesNeeded(fileType: string): number {
	const magics = magicFor(fileType) ?? [];
	return Math.max(512, ...magics.map(m => m.offset + m.bytes.length));
}

/** Writes the magic for `fileType` into `buf` (used by tests and benchmarks to make plausible images). */
export function stampMagic(buf: Buffer, fileType: string): Buffer {
	const magic = magicFor(fileType)?.[0];
	if (magic && buf.length >= magic.offset + magic.bytes.length) {
		magic.bytes.copy(buf, magic.offset);
	}

	return buf;
}

function describe(head: Buffer): string {
	const text = head.subarray(0, 32).toString('latin1').replaceAll(/[^\x20-\x7e]/g, '.');
	return `${head.length} bytes starting "${text}"`;
}

function looksLikeHtml(head: Buffer): boolean {
	const start = head.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
	return start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<head') || start.startsWith('<?xml');
}

/**
 * Returns null when `head` (the first `bytesNeeded(fileType)` bytes, or the whole body if shorter) is plausible
 * for `fileType`, else a message saying what arrived instead.
 */
export function checkContent(head: Buffer, fileType: string, contentType?: string | null): string | null {
	const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
	if (mime === 'text/html' || mime === 'application/xhtml+xml' || looksLikeHtml(head)) {
		return `expected a ${fileType} image but the server sent an HTML page (Content-Type: ${contentType ?? 'none'}; ${describe(head)})`;
	}

	const magics = magicFor(fileType);
	if (!magics) return null;
	const ok = magics.some(m => head.length >= m.offset + m.bytes.length && head.subarray(m.offset, m.offset + m.bytes.length).equals(m.bytes));
	if (ok) return null;
	const want = magics.map(m => m.label).join(' or ');
	return `not a ${fileType} image: missing ${want}; got ${describe(head)}`;
}
