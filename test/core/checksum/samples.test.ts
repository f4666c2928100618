/** Every publisher shape in test/fixtures/checksums parses and selects as its README says. */
import fs from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {ChecksumError, parseChecksumFile, selectChecksum} from '../../../source/core/checksum/index.js';
import type {ChecksumAlgorithm} from '../../../source/core/types.js';

const SAMPLES = fileURLToPath(new URL('../../fixtures/checksums/', import.meta.url));

function sample(name: string): string {
	return fs.readFileSync(`${SAMPLES}${name}`, 'utf8');
}

type Row = {
	file: string;
	candidate: string;
	algorithm: ChecksumAlgorithm;
	hex: string;
	line: number;
	entries: number;
	expectedSize?: number;
	/** Another name in the file, so a wrong pick would show. */
	not?: string;
};

const ROWS: Row[] = [
	{
		file: 'SHA256SUMS.gnu-text',
		candidate: 'debian-12.8.0-amd64-netinst.iso',
		algorithm: 'sha256',
		hex: 'ec63d4512882fa5b3cf70dfdaf3b9133d6fae383f040b0f4b0109f155f071327',
		line: 2,
		entries: 4,
		not: 'debian-edu-12.8.0-amd64-netinst.iso',
	},
	{
		file: 'SHA256SUMS.gnu-binary',
		candidate: 'ubuntu-24.04.2-live-server-amd64.iso',
		algorithm: 'sha256',
		hex: '46127d9073189398e7d21e212e468ef370c0bad0d5cf18a112818a5c90a286a0',
		line: 2,
		entries: 2,
	},
	{
		file: 'SHA256SUMS.gnu-escaped',
		candidate: 'build\\nightly.iso',
		algorithm: 'sha256',
		hex: 'eb2d89a220686d6f480f5fec8802f33d53b606f6a6a216b23c519e455a388e83',
		line: 1,
		entries: 2,
	},
	{
		file: 'CHECKSUM.SHA256.bsd',
		candidate: 'FreeBSD-14.2-RELEASE-amd64-disc1.iso',
		algorithm: 'sha256',
		hex: '20fe4a355aca3d411e52a388e37b0849d30850ee849482790af8aba219d201a4',
		line: 2,
		entries: 3,
	},
	{
		file: 'Fedora-Server-42-1.1-x86_64-CHECKSUM.clearsigned',
		candidate: 'Fedora-Server-netinst-x86_64-42-1.1.iso',
		algorithm: 'sha256',
		hex: '1e45e8cde635efd4afca7af90641fd03af76d40ee607aa66ec76150fe21e218d',
		line: 7,
		entries: 2,
		expectedSize: 1_146_130_432,
	},
	{
		file: 'SHA512SUMS.gnu-text',
		candidate: 'debian-12.8.0-arm64-netinst.iso',
		algorithm: 'sha512',
		hex: '8c427f14cd723aad79a0a435769d479d18e76cadcccd872c39a6a50862dd0c97519b118e803f6f8d9c3929439c18a2bf715d527994e735cc9c00d005c5737fd3',
		line: 4,
		entries: 2,
	},
	{
		file: 'alpine-virt-3.21.2-x86_64.iso.sha256',
		candidate: 'alpine-virt-3.21.2-x86_64.iso',
		algorithm: 'sha256',
		hex: '2078047bb22710548abd53ad36d78f2286cfe51dee5f7e77e51cf4bd3c7ed3fd',
		line: 1,
		entries: 1,
	},
	{
		file: 'b2sums.txt',
		candidate: 'archlinux-2025.01.01-x86_64.iso',
		algorithm: 'blake2b512',
		hex: 'a80b5c1a8346d6e4f6e2c7207c65a23c568752d995a2dfc8a7ac3c189ab94055aaf9a02b9c916f753dc95c38cb0d1f24f26d3c57d2a8a71fadd4df2986d55a94',
		line: 1,
		entries: 1,
	},
	{
		file: 'Rocky-9.5-x86_64-minimal.iso.md5.bare',
		candidate: 'Rocky-9.5-x86_64-minimal.iso',
		algorithm: 'md5',
		hex: '7c9d0ba0a575999c021939fe8978843c',
		line: 1,
		entries: 0,
	},
];

describe('checksum samples', () => {
	it('covers every sample file in the directory', () => {
		expect(fs.existsSync(SAMPLES), `samples not found at ${SAMPLES}`).toBe(true);
		const files = fs.readdirSync(SAMPLES).filter(f => f !== 'README.md');
		expect(files.sort()).toEqual(ROWS.map(r => r.file).sort());
	});

	it.each(ROWS)('$file → $candidate', row => {
		const text = sample(row.file);
		const parsed = parseChecksumFile(text);
		expect(parsed.malformed).toEqual([]);
		expect(parsed.entries).toHaveLength(row.entries);
		expect(parsed.bare !== undefined).toBe(row.entries === 0);

		const source = `https://mirror.example/${row.file}`;
		const selected = selectChecksum({text, checksumFileName: row.file, candidates: [row.candidate], source});
		expect(selected).toEqual({
			algorithm: row.algorithm,
			hex: row.hex,
			name: row.candidate,
			candidate: row.candidate,
			line: row.line,
			...(row.expectedSize === undefined ? {} : {expectedSize: row.expectedSize}),
		});

		if (row.not) expect(selectChecksum({text, checksumFileName: row.file, candidates: [row.not]}).hex).not.toBe(row.hex);

		// The same selection from the final URL's name after a redirect.
		expect(selectChecksum({text, checksumFileName: row.file, candidates: ['download', row.candidate]}).hex).toBe(row.hex);
	});

	it.each(ROWS.filter(r => r.entries > 0))('$file has no entry for a name it does not list', row => {
		const text = sample(row.file);
		const source = `https://mirror.example/${row.file}`;
		let error: unknown;
		try {
			selectChecksum({text, checksumFileName: row.file, candidates: ['nothing-like-it.iso'], source});
		} catch (error_) {
			error = error_;
		}

		expect(error).toBeInstanceOf(ChecksumError);
		expect((error as ChecksumError).code).toBe('no_entry');
		expect((error as ChecksumError).message).toContain(
			`no entry for nothing-like-it.iso in ${source}; it lists ${row.entries} file${row.entries === 1 ? '' : 's'}: `,
		);
		expect((error as ChecksumError).message).toContain(row.candidate);
	});

	it('debian-edu is its own line, not a match for the netinst image', () => {
		const text = sample('SHA256SUMS.gnu-text');
		const edu = selectChecksum({text, checksumFileName: 'SHA256SUMS', candidates: ['debian-edu-12.8.0-amd64-netinst.iso']});
		expect(edu.line).toBe(1);
		expect(edu.hex).toBe('8790b5cef81fe20f3c3e652fcdf547cb6189d7f822f37d88a1e7871a194f375b');
	});

	it('a BSD name with parentheses is read whole', () => {
		const text = sample('CHECKSUM.SHA256.bsd');
		const memstick = selectChecksum({text, checksumFileName: 'CHECKSUM.SHA256', candidates: ['FreeBSD-14.2-RELEASE-amd64-memstick (1).img']});
		expect(memstick).toMatchObject({line: 3, hex: 'aeea3d1086b84d0c74eb30b7e941bcf8ea4cc0e3336dc7ad7ea35de03a15f1cb'});
	});

	it('the clear-signed file (CRLF) keeps its signature block out and each size with its image', () => {
		const text = sample('Fedora-Server-42-1.1-x86_64-CHECKSUM.clearsigned');
		expect(text).toContain('\r\n');
		const parsed = parseChecksumFile(text);
		expect(parsed.clearSigned).toBe(true);
		expect(parsed.sizes).toEqual(
			new Map([
				['Fedora-Server-dvd-x86_64-42-1.1.iso', 2_780_151_808],
				['Fedora-Server-netinst-x86_64-42-1.1.iso', 1_146_130_432],
			]),
		);
		const dvd = selectChecksum({text, checksumFileName: 'Fedora-Server-42-1.1-x86_64-CHECKSUM', candidates: ['Fedora-Server-dvd-x86_64-42-1.1.iso']});
		expect(dvd.expectedSize).toBe(2_780_151_808);
		expect(dvd.line).toBe(5);
	});

	it('b2sums without its name would be read as sha512; with it, blake2b512', () => {
		const text = sample('b2sums.txt');
		const candidates = ['archlinux-2025.01.01-x86_64.iso'];
		expect(selectChecksum({text, checksumFileName: 'b2sums.txt', candidates}).algorithm).toBe('blake2b512');
		expect(selectChecksum({text, checksumFileName: 'checksums.txt', candidates}).algorithm).toBe('sha512');
		expect(selectChecksum({text, checksumFileName: 'checksums.txt', candidates, userType: 'blake2b512'}).algorithm).toBe('blake2b512');
	});
});
