/** Shared bits of the download tests: a recording logger, temp dirs, a seeded PRNG. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

