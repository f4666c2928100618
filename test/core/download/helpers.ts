/** Shared bits of the download tests: a recording logger, temp dirs, a seeded PRNG. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {TransferOptions} from '../../../source/core/download/transfer.js';
import type {Logger} from '../../../source/core/types.js';
import {MiB} from '../../support/sizes.js';
export {MiB} from '../../support/sizes.js';

export type LogRecord = {level: string; event: string; fields: Record<string, unknown>};

export function recordingLogger(records: LogRecord[] = [], bound: Record<string, unknown> = {}): Logger & {records: LogRecord[]} {
	const write = (level: string) => (event: string, fields?: Record<string, unknown>) => {
		records.push({level, event, fields: {...bound, ...fields}});
	};

	return {
		records,
		debug: write('debug'),
		info: write('info'),
		warn: write('warn'),
		error: write('error'),
		child: fields => recordingLogger(records, {...bound, ...fields}),
	};
}

export async function tempDir(): Promise<string> {
	return fs.mkdtemp(path.join(os.tmpdir(), 'isoman-dl-'));
}

export {seededRandom} from '../../support/random.js';


/** What a test transfer's callbacks record. */
export type TransferRecord = {
	progress: number[];
	meta: Array<Parameters<NonNullable<TransferOptions['onMeta']>>[0]>;
	retries: Array<Parameters<NonNullable<TransferOptions['onRetry']>>[0]>;
};

/** The options a test transfer starts from (its own signal, quick retries), its callbacks recording into `record`. */
export function testTransferOptions(url: string, partPath: string, log: Logger, record: TransferRecord): Omit<TransferOptions, 'client'> {
	return {
		url,
		partPath,
		fileType: 'iso',
		algorithm: 'sha256',
		signal: new AbortController().signal,
		stallTimeoutMs: 10_000,
		retries: 5,
		backoff: {baseMs: 1, maxMs: 20},
		log,
		onProgress: p => record.progress.push(p.downloaded),
		onMeta: m => record.meta.push(m),
		onRetry: r => record.retries.push(r),
	};
}
