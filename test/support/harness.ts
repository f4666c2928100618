/** A manager on a temp library plus a test server: the usual set-up of engine tests. */
import fs from 'node:fs';
import path from 'node:path';
import {Manager} from '../../source/core/manager.js';
import {createLogger, memorySink} from '../../source/core/log.js';
import type {Image, Status} from '../../source/core/types.js';
import {tempLibrary, waitFor, type TempLibrary} from './library.js';
import {startTestServer, type TestServer} from './server.js';
import {MiB} from './sizes.js';
export {MiB} from './sizes.js';

export type Harness = {
	lib: TempLibrary;
	server: TestServer;
	manager: Manager;
	logs: ReturnType<typeof memorySink>;
	/** Wait until the image reaches one of `statuses`. */
	until(id: string, ...statuses: Status[]): Promise<Image>;
	/** Files under images/ outside .tmp (relative paths). */
	imageFiles(): string[];
	/** Files in images/.tmp. */
	tmpFiles(): string[];
	close(): Promise<void>;
};

/** How the manager runs its transfers: on its own thread (the daemon, commands) or on a transfer thread (the TUI). */
export const TRANSFER_MODES = [
	{mode: 'transfers in-thread', transferThread: false},
	{mode: 'transfers on the transfer thread', transferThread: true},
] as const;

export async function startHarness(
	settings: Record<string, unknown> = {},
	options: {transferThread?: boolean; /** The manager's progress events (default 100 ms apart). */ progressIntervalMs?: number} = {},
): Promise<Harness> {
	const lib = tempLibrary({retryBaseMs: 50, retryMaxMs: 500, ...settings});
	const server = await startTestServer();
	const logs = memorySink();
	const manager = new Manager({config: lib.config, log: createLogger({level: 'debug', sink: logs}), ...(options.transferThread ? {transferThread: true} : {}), ...(options.progressIntervalMs === undefined ? {} : {progressIntervalMs: options.progressIntervalMs})});
	const walk = (dir: string): string[] =>
		fs.existsSync(dir)
			? fs.readdirSync(dir, {withFileTypes: true}).flatMap(e => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
			: [];
	return {
		lib,
		server,
		manager,
		logs,
		async until(id, ...statuses) {
			return waitFor(() => {
				const image = manager.get(id);
				return image && statuses.includes(image.status) ? image : undefined;
			}, {what: `${id} to be ${statuses.join('/')} (is ${manager.get(id)?.status})`, timeoutMs: 45_000});
		},
		imageFiles: () => walk(lib.config.imagesDir).filter(f => !f.startsWith(lib.config.tmpDir)).map(f => path.relative(lib.config.imagesDir, f)),
		tmpFiles: () => (fs.existsSync(lib.config.tmpDir) ? fs.readdirSync(lib.config.tmpDir) : []),
		async close() {
			await manager.close();
			await server.close();
			lib.cleanup();
		},
	};
}

