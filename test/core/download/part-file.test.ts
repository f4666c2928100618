/**
 * The part file and its trailing hash (the hashing thread reads the written bytes back): real files in a temp
 * dir, the real worker thread (the built dist/ copy). Several parts hashed at once by the one thread each get
 * their own digest; a resumed part's bytes are hashed first; a truncate forgets the old bytes; a part truncated
 * behind the writer fails as corrupt; an abort ends the wait; a closed part no longer keeps the process alive.
 */
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {CHANGED_BEHIND_OUR_BACK} from '../../../source/core/download/errors.js';
import {largestRead, MAX_READ_BYTES, MIN_READ_BYTES} from '../../../source/core/download/large-reads.js';
import {BATCH_BYTES, PartFile, type PartFailure} from '../../../source/core/download/part-file.js';
import {threadFlags} from '../../../source/core/download/trailing-hash.js';
import {MiB, seededRandom, tempDir} from './helpers.js';

const dirs: string[] = [];
const handles: fsp.FileHandle[] = [];
afterEach(async () => {
	for (const fh of handles.splice(0)) await fh.close().catch(() => undefined);
	for (const dir of dirs.splice(0)) await fsp.rm(dir, {recursive: true, force: true});
});

class PartError extends Error {
	constructor(readonly failure: PartFailure) {
		super(`${failure.during}: ${failure.message}`);
	}
}

async function openPart(content?: Buffer): Promise<{fh: fsp.FileHandle; file: string}> {
	const dir = await tempDir();
	dirs.push(dir);
	const file = path.join(dir, 'x.part');
	if (content) fs.writeFileSync(file, content);
	const fh = await fsp.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT);
	handles.push(fh);
	return {fh, file};
}

function part(fh: fsp.FileHandle, size = 0, algorithm: 'sha256' | 'sha512' = 'sha256'): PartFile {
	return new PartFile({fh, algorithm, size, toError: failure => new PartError(failure)});
}

/** `total` bytes in network-sized chunks (64 KiB and odd sizes). */
function chunks(total: number, seed: number): Buffer[] {
	const random = seededRandom(seed);
	const out: Buffer[] = [];
	let left = total;
	while (left > 0) {
		const n = Math.min(left, 1 + Math.floor(random() * 96 * 1024));
		const b = Buffer.allocUnsafe(n);
		for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
		out.push(b);
		left -= n;
	}

	return out;
}

const sha = (algorithm: string, ...buffers: Buffer[]) => {
	const h = createHash(algorithm);
	for (const b of buffers) h.update(b);
	return h.digest('hex');
};

const signal = () => new AbortController().signal;

describe('PartFile', () => {
	it('writes every byte and gets their digest; three parts hashed at once by the one thread keep theirs apart', async () => {
		const runs = await Promise.all(
			[3, 5, 7].map(async (seed, i) => {
				const {fh, file} = await openPart();
				const p = part(fh, 0, i === 1 ? 'sha512' : 'sha256');
				const data = chunks(3 * MiB + seed * 1000, seed);
				for (const c of data) await p.append(c);
				const hex = await p.digest(signal());
				await p.close();
				return {hex, file, data, algorithm: i === 1 ? 'sha512' : 'sha256', written: p.written};
			}),
		);
		for (const run of runs) {
			const all = Buffer.concat(run.data);
			expect(run.written).toBe(all.length);
			expect(fs.readFileSync(run.file).equals(all)).toBe(true);
			expect(run.hex).toBe(sha(run.algorithm, all));
		}
	});

	it('resume: the bytes already in the part are hashed first, then the new ones', async () => {
		const prefix = Buffer.concat(chunks(2 * MiB + 17, 11));
		const {fh, file} = await openPart(prefix);
		const p = part(fh, prefix.length);
		const rest = chunks(MiB + 5, 12);
		for (const c of rest) await p.append(c);
		expect(await p.digest(signal())).toBe(sha('sha256', prefix, ...rest));
		await p.close();
		expect(fs.statSync(file).size).toBe(prefix.length + MiB + 5);
	});

	it('truncate forgets every byte hashed before it: the digest is of the new content only', async () => {
		const {fh, file} = await openPart(Buffer.alloc(3 * MiB, 9));
		const p = part(fh, 3 * MiB);
		await p.append(Buffer.alloc(BATCH_BYTES + 3, 1));
		await p.truncate();
		expect(fs.statSync(file).size).toBe(0);
		const fresh = chunks(2 * MiB, 13);
		for (const c of fresh) await p.append(c);
		expect(await p.digest(signal())).toBe(sha('sha256', ...fresh));
		await p.close();
	});

	it('a part truncated behind the writer fails with a "truncated" error (the hashing thread or the size check)', async () => {
		const {fh, file} = await openPart();
		const p = part(fh);
		for (const c of chunks(2 * MiB, 15)) await p.append(c);
		await p.drain();
		fs.truncateSync(file, 1000);
		const failure = await (async () => {
			for (const c of chunks(2 * MiB, 16)) await p.append(c);
			await p.digest(signal());
		})().then(
			() => undefined,
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(PartError);
		expect((failure as PartError).failure.code).toBe(CHANGED_BEHIND_OUR_BACK);
		expect((failure as PartError).message).toContain('truncated');
		await p.close();
	});

	it('append answers a promise only when a full batch must wait for the write in flight, and loses no byte either way', async () => {
		// Alone (chunks kept) and beside another open part (chunks copied, a chunk straddling two batches).
		for (const together of [false, true]) {
			const {fh, file} = await openPart();
			const other = together ? part((await openPart()).fh) : undefined;
			const p = part(fh);
			const sizes = [BATCH_BYTES / 2, BATCH_BYTES / 2, BATCH_BYTES / 2 + 7, BATCH_BYTES, 5];
			const data = sizes.map((n, i) => Buffer.alloc(n, i + 1));
			const answers: Array<Promise<void> | undefined> = [];
			for (const c of data) {
				const answer = p.append(c);
				answers.push(answer);
				await answer;
			}

			// The first full batch starts its write at once; the second finds it in flight.
			expect(answers.slice(0, 3)).toEqual([undefined, undefined, undefined]);
			expect(answers[3]).toBeInstanceOf(Promise);
			await p.drain();
			expect(p.written).toBe(sizes.reduce((a, b) => a + b, 0));
			expect(fs.readFileSync(file).equals(Buffer.concat(data))).toBe(true);
			expect(await p.digest(signal())).toBe(sha('sha256', ...data));
			await p.close();
			await other?.close();
		}
	});

	it('socket reads stay at 64 KiB from the moment a second part opens until every part is closed', async () => {
		const first = part((await openPart()).fh);
		expect(largestRead()).toBe(MAX_READ_BYTES);
		const second = part((await openPart()).fh);
		expect(largestRead()).toBe(MIN_READ_BYTES);
		await second.close();
		// The first, alone again, keeps small reads: its batch of transfers has not ended.
		expect(largestRead()).toBe(MIN_READ_BYTES);
		await first.close();
		expect(largestRead()).toBe(MAX_READ_BYTES);
	});

	it('digest gives up at once when the signal aborts', async () => {
		const {fh} = await openPart();
		const p = part(fh);
		await p.append(Buffer.alloc(MiB, 2));
		const controller = new AbortController();
		controller.abort(new Error('paused'));
		await expect(p.digest(controller.signal)).rejects.toThrow('paused');
		await p.close();
	});

	it('the hashing thread does not keep a process alive once its parts are closed', () => {
		const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'isoman-pf-'));
		dirs.push(dir);
		const module = new URL('../../../dist/core/download/part-file.js', import.meta.url).href;
		const script = `
			import fsp from 'node:fs/promises';
			const {PartFile} = await import(${JSON.stringify(module)});
			const fh = await fsp.open(${JSON.stringify(path.join(dir, 'y.part'))}, 'w+');
			const p = new PartFile({fh, algorithm: 'sha256', size: 0, toError: f => new Error(f.message)});
			await p.append(Buffer.alloc(3 * 1024 * 1024, 7));
			console.log(await p.digest(new AbortController().signal));
			await p.close();
			await fh.close();
		`;
		const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 30_000});
		expect(r.error).toBeUndefined();
		expect(r.status).toBe(0);
		expect(r.stdout.trim()).toBe(sha('sha256', Buffer.alloc(3 * MiB, 7)));
	});
});

describe('threadFlags', () => {
	it('passes the process\'s flags on (the default), except under a main script given on the command line', () => {
		expect(threadFlags(['--cpu-prof', '--cpu-prof-dir', '/x', '--max-semi-space-size=1'])).toBeUndefined();
		expect(threadFlags(['--input-type=module', '-e', 'console.log(1)', '--cpu-prof'])).toEqual([]);
		expect(threadFlags(['-p', '1'])).toEqual([]);
	});
});
