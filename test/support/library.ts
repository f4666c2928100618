/** A temporary library directory with a real config, for tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {loadConfig, type Config} from '../../source/config.js';

export type TempLibrary = {dir: string; config: Config; cleanup(): void};

export function tempLibrary(overrides: Record<string, unknown> = {}): TempLibrary {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-test-'));
	const config = loadConfig({dataDir: dir, ...overrides}, {});
	return {
		dir,
		config,
		cleanup() {
			fs.rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** Poll `check` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(
	check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
	{timeoutMs = 20_000, intervalMs = 10, what = 'condition'} = {},
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, intervalMs));
	}
}
