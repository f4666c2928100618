/** Every publisher shape in shared/checksum-samples parses and selects as its README says. */
import fs from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {ChecksumError, parseChecksumFile, selectChecksum} from '../../../source/core/checksum/index.js';
import type {ChecksumAlgorithm} from '../../../source/core/types.js';

const SAMPLES = fileURLToPath(new URL('../../../../shared/checksum-samples/', import.meta.url));

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
		candidate: 'debian-12.7.0-amd64-netinst.iso',
		algorithm: 'sha256',
		hex: 'a39b9b3d5e28ac96921ccc8fd50d917fc48f21e9c526fd4c675b0aa58f6c77f6',
		line: 1,
		entries: 3,
		not: 'debian-edu-12.7.0-amd64-netinst.iso',
	},
	{
		file: 'SHA256SUMS.gnu-binary',
		candidate: 'ubuntu-24.04.1-live-server-amd64.iso',
		algorithm: 'sha256',
		hex: '641babd514f34298bb98d6e54da800f85835c98c60e3917133498e2d26f2eec8',
		line: 2,
		entries: 2,
	},
	{
		file: 'SHA256SUMS.gnu-escaped',
		candidate: 'odd\\name.iso',
		algorithm: 'sha256',
		hex: '177b7cb0686749afeb39817e294fe04d1a4b59a2841ed24dc027cafecad04b48',
		line: 1,
		entries: 2,
	},
	{
		file: 'CHECKSUM.SHA256.bsd',
		candidate: 'FreeBSD-14.1-RELEASE-amd64-disc1.iso',
		algorithm: 'sha256',
		hex: '65cec92779a169753cd3b36cc29344f176a30f9e9ccb1b48a68e97eaa0c0b033',
		line: 2,
		entries: 3,
	},
	{
		file: 'Fedora-Server-41-1.4-x86_64-CHECKSUM.clearsigned',
		candidate: 'Fedora-Server-netinst-x86_64-41-1.4.iso',
		algorithm: 'sha256',
		hex: '2ba24d4ca5abf32799e6f2b4a7789256e97b69006c8d8d91e1b606692b9fdfb4',
		line: 7,
		entries: 2,
		expectedSize: 1_133_514_752,
	},
	{
		file: 'SHA512SUMS.gnu-text',
		candidate: 'debian-12.7.0-arm64-netinst.iso',
		algorithm: 'sha512',
		hex: '618edf47cdd8437a254f4faf12418d52e932f36c26691842425bedabe3f1a39b804695eadea30b0f4de99424fc5913f644154db477ae5d0a409732ac0263291c',
		line: 2,
		entries: 2,
	},
	{
		file: 'alpine-standard-3.20.3-x86_64.iso.sha256',
		candidate: 'alpine-standard-3.20.3-x86_64.iso',
		algorithm: 'sha256',
		hex: '2a517c2f6d3a4ad0c25137d44829ccec2785334123ef37e881abb91eed1d4659',
		line: 1,
		entries: 1,
	},
	{
		file: 'b2sums.txt',
		candidate: 'archlinux-2024.11.01-x86_64.iso',
		algorithm: 'blake2b512',
		hex: '544f28d7a834e17e0751ef52c0000e711172a0f66babdd33f4a85d0735e8513d5df37e52975438a47a58f5359ed3f98ac80a181b69e3bac3681d68362c4f8620',
		line: 1,
		entries: 1,
	},
	{
		file: 'rocky-9.4-x86_64-minimal.iso.md5.bare',
		candidate: 'rocky-9.4-x86_64-minimal.iso',
		algorithm: 'md5',
		hex: '5bab541acd761a3093d7c4202b6e1da9',
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
		const edu = selectChecksum({text, checksumFileName: 'SHA256SUMS', candidates: ['debian-edu-12.7.0-amd64-netinst.iso']});
		expect(edu.line).toBe(3);
		expect(edu.hex).toBe('3030aa699e29944e84426d9b326e69b106a6fdee089226192c3c4ebd01e2997f');
	});

	it('the Fedora signature block is not read and the dvd size stays with the dvd', () => {
		const text = sample('Fedora-Server-41-1.4-x86_64-CHECKSUM.clearsigned');
		const parsed = parseChecksumFile(text);
		expect(parsed.clearSigned).toBe(true);
		expect(parsed.sizes).toEqual(
			new Map([
				['Fedora-Server-dvd-x86_64-41-1.4.iso', 2_612_854_784],
				['Fedora-Server-netinst-x86_64-41-1.4.iso', 1_133_514_752],
			]),
		);
		const dvd = selectChecksum({text, checksumFileName: 'Fedora-Server-41-1.4-x86_64-CHECKSUM', candidates: ['Fedora-Server-dvd-x86_64-41-1.4.iso']});
		expect(dvd.expectedSize).toBe(2_612_854_784);
		expect(dvd.line).toBe(5);
	});

	it('b2sums without its name would be read as sha512; with it, blake2b512', () => {
		const text = sample('b2sums.txt');
		const candidates = ['archlinux-2024.11.01-x86_64.iso'];
		expect(selectChecksum({text, checksumFileName: 'b2sums.txt', candidates}).algorithm).toBe('blake2b512');
		expect(selectChecksum({text, checksumFileName: 'checksums.txt', candidates}).algorithm).toBe('sha512');
		expect(selectChecksum({text, checksumFileName: 'checksums.txt', candidates, userType: 'blake2b512'}).algorithm).toBe('blake2b512');
	});
});
