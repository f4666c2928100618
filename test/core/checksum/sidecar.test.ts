import {spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {
	isSidecarTempName,
	parseChecksumFile,
	selectChecksum,
	sidecarFileName,
	sidecarLine,
	writeSidecar,
} from '../../../source/core/checksum/index.js';
import type {ChecksumAlgorithm} from '../../../source/core/types.js';

let dir: string;

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-sidecar-'));
});

afterEach(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

const H = 'ab'.repeat(32);

describe('sidecarFileName and sidecarLine', () => {
	it.each<[ChecksumAlgorithm, string]>([
		['sha256', 'x.iso.sha256'],
		['sha512', 'x.iso.sha512'],
		['md5', 'x.iso.md5'],
		['sha1', 'x.iso.sha1'],
		['sha224', 'x.iso.sha224'],
		['sha384', 'x.iso.sha384'],
		['blake2b512', 'x.iso.b2'],
	])('%s → %s', (alg, name) => {
		expect(sidecarFileName('x.iso', alg)).toBe(name);
	});

	it.each([
		['x.iso', `${H}  x.iso\n`],
		['with space.iso', `${H}  with space.iso\n`],
		['odd\\name.iso', `\\${H}  odd\\\\name.iso\n`],
		['new\nline.iso', `\\${H}  new\\nline.iso\n`],
		['cr\r.iso', `\\${H}  cr\\r.iso\n`],
	])('%j', (name, line) => {
		expect(sidecarLine(H.toUpperCase(), name)).toBe(line);
	});

	it('round-trips through parseChecksumFile', () => {
		for (const name of ['x.iso', 'odd\\name.iso', 'a\nb\\c\r.iso', '-dash (1).iso']) {
			expect(parseChecksumFile(sidecarLine(H, name)).entries).toEqual([{name, hex: H, line: 1}]);
		}
	});

	it('refuses a non-hex digest', () => {
		expect(() => sidecarLine('xyz', 'x.iso')).toThrow(TypeError);
	});
});

describe('writeSidecar', () => {
	it('writes the sidecar atomically, replacing an old one, and leaves no temp file', async () => {
		fs.writeFileSync(path.join(dir, 'x.iso.sha256'), 'stale\n');
		const written = await writeSidecar(dir, 'x.iso', 'sha256', H);
		expect(written).toBe(path.join(dir, 'x.iso.sha256'));
		expect(fs.readFileSync(written, 'utf8')).toBe(`${H}  x.iso\n`);
		expect(fs.readdirSync(dir)).toEqual(['x.iso.sha256']);
	});

	it('refuses a path as the image name and a digest of the wrong length', async () => {
		await expect(writeSidecar(dir, 'a/x.iso', 'sha256', H)).rejects.toThrow(TypeError);
		await expect(writeSidecar(dir, 'x.iso', 'sha512', H)).rejects.toThrow(/128 hex characters/);
		expect(fs.readdirSync(dir)).toEqual([]);
	});

	it('fails when the directory is missing, leaving nothing', async () => {
		await expect(writeSidecar(path.join(dir, 'missing'), 'x.iso', 'sha256', H)).rejects.toMatchObject({code: 'ENOENT'});
	});

	it('names its temp files so recovery can recognise them', () => {
		expect(isSidecarTempName(`.x.iso.sha256.${'0123456789abcdef'}.sidecar-tmp`)).toBe(true);
		expect(isSidecarTempName('x.iso.sha256')).toBe(false);
		expect(isSidecarTempName('.x.iso.sha256')).toBe(false);
	});
});

const TOOLS: Array<[string, ChecksumAlgorithm, string]> = [
	['sha256sum', 'sha256', 'sha256'],
	['sha512sum', 'sha512', 'sha512'],
	['md5sum', 'md5', 'md5'],
	['b2sum', 'blake2b512', 'blake2b512'],
	['sha1sum', 'sha1', 'sha1'],
	['sha224sum', 'sha224', 'sha224'],
	['sha384sum', 'sha384', 'sha384'],
];

function toolAvailable(tool: string): boolean {
	const r = spawnSync(tool, ['--version'], {encoding: 'utf8'});
	if (r.error || r.status !== 0) {
		console.log(`skipping the ${tool} -c assertion: ${tool} is not available (${r.error?.message ?? `exit ${r.status}`})`);
		return false;
	}

	return true;
}

describe('coreutils accept the sidecar', () => {
	it.each(TOOLS)('%s -c', async (tool, alg, nodeName) => {
		const names = ['image-1.0-x86_64.iso', 'odd\\name.iso'];
		for (const name of names) {
			const content = randomBytes(100_000 + name.length);
			fs.writeFileSync(path.join(dir, name), content);
			const hex = createHash(nodeName).update(content).digest('hex');
			const sidecar = await writeSidecar(dir, name, alg, hex);
			expect(path.basename(sidecar)).toBe(sidecarFileName(name, alg));
			if (!toolAvailable(tool)) {
				continue;
			}

			const ok = spawnSync(tool, ['--check', '--strict', path.basename(sidecar)], {cwd: dir, encoding: 'utf8'});
			expect(ok.stderr).toBe('');
			expect(ok.status).toBe(0);
			expect(ok.stdout).toContain(': OK');

			// The check is real: a changed byte fails it.
			content[0] = (content[0]! + 1) % 256;
			fs.writeFileSync(path.join(dir, name), content);
			const bad = spawnSync(tool, ['--check', path.basename(sidecar)], {cwd: dir, encoding: 'utf8'});
			expect(bad.status).toBe(1);
			expect(bad.stdout).toContain('FAILED');
		}
	});
});

describe('what coreutils print, isoman reads', () => {
	it.each([
		['sha256sum', [], 'SHA256SUMS', 'sha256'],
		['sha256sum', ['--binary'], 'SHA256SUMS', 'sha256'],
		['sha256sum', ['--tag'], 'CHECKSUM', 'sha256'],
		['b2sum', [], 'b2sums.txt', 'blake2b512'],
		['b2sum', ['--tag'], 'CHECKSUM', 'blake2b512'],
		['md5sum', [], 'MD5SUMS', 'md5'],
		['sha512sum', ['--tag'], 'CHECKSUM', 'sha512'],
	] as const)('%s %s', (tool, flags, checksumFileName, alg) => {
		const names = ['plain.iso', 'odd\\name.iso', 'new\nline.iso', 'paren) = (x.iso', 'x.iso.zsync', 'x.iso'];
		const digests = new Map<string, string>();
		for (const name of names) {
			const content = randomBytes(1000);
			fs.writeFileSync(path.join(dir, name), content);
			digests.set(name, createHash(alg).update(content).digest('hex'));
		}

		if (!toolAvailable(tool)) {
			return;
		}

		const r = spawnSync(tool, [...flags, ...names], {cwd: dir, encoding: 'utf8'});
		expect(r.status).toBe(0);
		for (const name of names) {
			const selected = selectChecksum({text: r.stdout, checksumFileName, candidates: [name]});
			expect(selected.algorithm).toBe(alg);
			expect(selected.hex).toBe(digests.get(name));
		}
	});
});
