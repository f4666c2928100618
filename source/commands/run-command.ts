/**
 * Non-interactive subcommands (DESIGN §6). Exit codes: 0 ok, 1 failure, 2 invalid input, 3 already exists.
 * Mutations run here when no process holds the library; with a daemon running they are queued in the
 * catalogue and this waits (up to 10 s) until the daemon has carried them out.
 */
import type {Config} from '../config.js';
import {DuplicateImageError, imageToJson, NotFoundError} from '../core/catalogue/repository.js';
import {Manager} from '../core/manager.js';
import {openLibrary} from '../core/open-library.js';
import {IsomanError, type Image, type Logger} from '../core/types.js';
import {formatBytes, imageTable, stateWord, table} from './format.js';

export type CommandFlags = {
	json?: boolean;
	name?: string;
	version?: string;
	arch?: string;
	edition?: string;
	checksumUrl?: string;
	checksum?: string;
	checksumType?: string;
};

export type Io = {out(text: string): void; err(text: string): void};

export const EXIT = {ok: 0, failure: 1, invalid: 2, exists: 3} as const;

const ID_ACTIONS = ['pause', 'resume', 'cancel', 'retry', 'remove', 'verify'] as const;
type IdAction = (typeof ID_ACTIONS)[number];

function exitFor(error: unknown, io: Io): number {
	if (error instanceof DuplicateImageError) {
		io.err(`isoman: ${error.message}`);
		io.out(error.existingId);
		return EXIT.exists;
	}

	if (error instanceof NotFoundError) {
		io.err(`isoman: id ${error.message}`);
		return EXIT.invalid;
	}

	if (error instanceof IsomanError && error.code === 'invalid') {
		io.err(`isoman: invalid ${error.message}`);
		return EXIT.invalid;
	}

	io.err(`isoman: ${error instanceof Error ? error.message : String(error)}`);
	return EXIT.failure;
}

export async function runCommand(name: string, args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	try {
		if (name === 'add') return await add(args, flags, config, log, io);
		if (name === 'list' || name === 'show') return await read(name, args, flags, config, log, io);
		if ((ID_ACTIONS as readonly string[]).includes(name)) return await act(name as IdAction, args, config, log, io);
		io.err(`isoman: unknown command "${name}"; see isoman --help`);
		return EXIT.invalid;
	} catch (error) {
		return exitFor(error, io);
	}
}

async function add(args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length !== 1) {
		io.err(`isoman: invalid url: add takes exactly one URL (got ${args.length})`);
		return EXIT.invalid;
	}

	const manager = new Manager({config, log, owner: false});
	try {
		const image = manager.add({
			url: args[0]!,
			name: flags.name,
			version: flags.version,
			arch: flags.arch,
			edition: flags.edition,
			checksumUrl: flags.checksumUrl,
			checksum: flags.checksum,
			checksumType: flags.checksumType,
		});
		io.out(flags.json ? JSON.stringify(imageToJson(image), null, 2) : image.id);
		return EXIT.ok;
	} finally {
		await manager.close();
	}
}

async function read(name: 'list' | 'show', args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	const manager = new Manager({config, log, owner: false});
	try {
		if (name === 'list') {
			const images = manager.list();
			io.out(flags.json ? JSON.stringify(images.map(imageToJson), null, 2) : images.length === 0 ? 'The library is empty: isoman add <url>' : imageTable(images));
			return EXIT.ok;
		}

		if (args.length !== 1) {
			io.err('isoman: invalid id: show takes exactly one id');
			return EXIT.invalid;
		}

		const image = manager.resolve(args[0]!);
		if (flags.json) {
			io.out(JSON.stringify(imageToJson(image), null, 2));
			return EXIT.ok;
		}

		io.out(describe(image, manager));
		return EXIT.ok;
	} finally {
		await manager.close();
	}
}

function describe(image: Image, manager: Manager): string {
	const rows: Array<[string, string]> = [
		['id', image.id],
		['name', image.name],
		['version', image.version],
		['arch', image.arch],
		['edition', image.edition ?? '-'],
		['type', image.fileType],
		['path', image.filePath],
		['state', stateWord(image)],
		['size', `${formatBytes(image.sizeBytes)} (${formatBytes(image.downloadedBytes)} downloaded)`],
		['url', image.downloadUrl],
		['checksum source', image.checksumUrl ?? (image.expectedChecksum ? 'digest given' : 'none (unverified)')],
		['checksum', image.checksum ? `${image.checksumType ?? ''} ${image.checksum}` : '-'],
		['expected', image.expectedChecksum ?? '-'],
		['attempts', String(image.attempts)],
		['added', image.createdAt],
		['completed', image.completedAt ?? '-'],
	];
	if (image.errorMessage) rows.push(['error', image.errorMessage]);
	const history = manager.events(image.id, 10).map(e => [e.ts, e.kind, e.detail ?? '']);
	return `${rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n')}\n\nHistory (newest first):\n${table(['TIME', 'EVENT', 'DETAIL'], history)}`;
}

async function act(action: IdAction, args: string[], config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length === 0 && action !== 'verify') {
		io.err(`isoman: invalid id: ${action} needs at least one id`);
		return EXIT.invalid;
	}

	const library = await openLibrary(config, log, 'command');
	const {manager} = library;
	let code: number = EXIT.ok;
	try {
		const images = args.length > 0 ? args.map(ref => manager.resolve(ref)) : [];
		if (!manager.owner) {
			if (action === 'verify' && images.length === 0) images.push(...manager.list().filter(i => i.status === 'complete'));
			for (const image of images) {
				if (action === 'verify') await manager.verify([image.id]);
				else if (action === 'remove') await manager.remove(image.id);
				else await manager[action](image.id);
			}

			const deadline = Date.now() + 10_000;
			while (manager.catalogue.queuedCommands() > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
			if (manager.catalogue.queuedCommands() > 0) {
				io.err(`isoman: queued for the daemon (pid ${library.holder?.pid ?? '?'}), which has not taken it yet`);
				return EXIT.failure;
			}

			for (const image of images) {
				const now = manager.get(image.id);
				io.out(`${image.id}  ${now ? stateWord(now) : 'removed'}  (daemon pid ${library.holder?.pid ?? '?'})`);
				if (action === 'verify' && now && now.status !== 'complete') code = EXIT.failure;
			}

			return code;
		}

		if (action === 'verify') {
			const results = await manager.verify(images.length > 0 ? images.map(i => i.id) : undefined);
			for (const r of results) io.out(`${r.id}  ${r.outcome}${r.message ? `  ${r.message}` : ''}`);
			return results.some(r => r.outcome === 'corrupt' || r.outcome === 'missing') ? EXIT.failure : EXIT.ok;
		}

		for (const image of images) {
			try {
				if (action === 'remove') {
					await manager.remove(image.id);
					io.out(`${image.id}  removed`);
				} else {
					const after = await manager[action](image.id);
					io.out(`${image.id}  ${stateWord(after)}`);
				}
			} catch (error) {
				code = Math.max(code, exitFor(error, io));
			}
		}

		return code;
	} finally {
		await library.close();
	}
}
