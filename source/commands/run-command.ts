/**
 * Non-interactive subcommands. Exit codes: 0 ok, 1 failure, 2 invalid input, 3 already exists.
 * Mutations run here when no process holds the library; with a daemon running they go through its command
 * queue and this prints its answer (the Library is the same either way).
 */
import path from 'node:path';
import type {Config} from '../config.js';
import {
	DuplicateImageError,
	displayText,
	jsonText,
	messageText,
	redactUrl,
	redactUrlsIn,
	signedByOf,
	IsomanError,
	NotFoundError,
	formatBytes,
	imageToJson,
	openLibrary,
	openReader,
	detectFromUrl,
	httpUrlSchema,
	type Image,
	type Library,
	type LibraryReader,
	type OpenLibrary,
	type Logger,
	type VerifyResult,
	statsToJson,
	formatRateLimit,
	parseRate,
	breakLock,
	imageUrl,
	readServerInfo,
	servedText,
} from '../core/index.js';
import {status, stop} from './daemon-control.js';
import {imageLabel, imageTable, stateWord, table} from './format.js';
import {statsText} from './stats-text.js';

export type CommandFlags = {
	json?: boolean;
	name?: string;
	version?: string;
	arch?: string;
	edition?: string;
	checksumUrl?: string;
	checksum?: string;
	checksumType?: string;
	url?: string;
	/** `add --max-rate`: the new image's own limit. */
	maxRate?: string;
	force?: boolean;
	signatureUrl?: string;
	key?: string;
	/** `add --type`: the image type for a URL that does not tell it. */
	type?: string;
};

export type Io = {out(text: string): void; err(text: string): void};

export const EXIT = {ok: 0, failure: 1, invalid: 2, exists: 3} as const;

const ID_ACTIONS = ['pause', 'resume', 'cancel', 'retry', 'remove', 'verify'] as const;
type IdAction = (typeof ID_ACTIONS)[number];

function exitFor(error: unknown, io: Io): number {
	if (error instanceof DuplicateImageError) {
		io.err(`isoman: ${messageText(error.message)}`);
		io.out(error.existingId);
		return EXIT.exists;
	}

	if (error instanceof NotFoundError) {
		io.err(`isoman: id ${messageText(error.message)}`);
		return EXIT.invalid;
	}

	if (error instanceof IsomanError && error.code === 'invalid') {
		io.err(`isoman: invalid ${messageText(error.message)}`);
		return EXIT.invalid;
	}

	if (error instanceof IsomanError && error.code === 'invalid_state') {
		io.err(`isoman: ${messageText(error.message)}`);
		return EXIT.failure;
	}

	io.err(`isoman: ${messageText(error instanceof Error ? error.message : String(error))}`);
	return EXIT.failure;
}

export async function runCommand(name: string, args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	try {
		if (name === 'add') return await add(args, flags, config, log, io);
		if (name === 'list' || name === 'show') return await read(name, args, flags, config, log, io);
		if (name === 'key') return await (await import('./key-command.js')).keyCommand(args, flags, config, log, io);
		if (name === 'status') return await status(config, flags.json === true, log, io);
		if (name === 'stop') return await stop(config, io);
		if ((ID_ACTIONS as readonly string[]).includes(name)) return await act(name as IdAction, args, config, log, io);
		if (name === 'edit') return await edit(args, flags, config, log, io);
		if (name === 'stats') return await stats(flags, config, log, io);
		if (name === 'limit') return await limit(args, config, log, io);
		if (name === 'unlock') return unlock(args, flags, config, log, io);
		io.err(`isoman: unknown command "${displayText(name)}"; see isoman --help`);
		return EXIT.invalid;
	} catch (error) {
		return exitFor(error, io);
	}
}

function unlock(args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): number {
	if (args.length > 0) {
		io.err('isoman: invalid argument: unlock takes no arguments (see isoman unlock --help)');
		return EXIT.invalid;
	}

	const result = breakLock(config.dataDir, flags.force === true);
	log.info('lock.unlock', {force: flags.force === true, removed: result.removed, state: result.state, holder: result.holder});
	(result.removed || result.state === 'none' ? io.out : io.err)(result.removed || result.state === 'none' ? result.message : `isoman: ${result.message}`);
	return result.removed || result.state === 'none' ? EXIT.ok : EXIT.failure;
}

async function add(args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length !== 1) {
		io.err(`isoman: invalid url: add takes exactly one URL (got ${args.length})`);
		return EXIT.invalid;
	}

	const library = await openLibrary(config, log, 'command', {onWait: holder => io.err(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`)});
	try {
		const fileName = await remoteFileName(library.library, args[0]!, flags.type);
		const image = await library.library.add({
			url: args[0]!,
			type: flags.type,
			fileName,
			name: flags.name,
			version: flags.version,
			arch: flags.arch,
			edition: flags.edition,
			checksumUrl: flags.checksumUrl,
			checksum: flags.checksum,
			checksumType: flags.checksumType,
			maxRate: flags.maxRate,
			signatureUrl: flags.signatureUrl,
			key: flags.key,
		});
		io.out(flags.json ? jsonText(imageToJson(image), 2) : image.id);
		return EXIT.ok;
	} catch (error) {
		// A script asked for JSON: it gets the existing image's object (exit 3 says it was there already).
		const existing = error instanceof DuplicateImageError && flags.json ? library.library.get(error.existingId) : undefined;
		if (!existing) throw error;
		io.err(`isoman: ${messageText((error as Error).message)}`);
		io.out(jsonText(imageToJson(existing), 2));
		return EXIT.exists;
	} finally {
		await library.close();
	}
}

/**
 * A URL whose last segment names no image file (`…/download?id=42`) and no --type: the file name its server gives
 * (Content-Disposition, or where it redirects), found by a URL check, stands in for it. Else undefined.
 */
async function remoteFileName(library: Pick<Library, 'queryUrl'>, url: string, type: string | undefined): Promise<string | undefined> {
	if (type !== undefined || !httpUrlSchema('url').safeParse(url).success) return undefined;
	try {
		detectFromUrl(url);
		return undefined;
	} catch {
		// No file name with a type in the URL: ask its server.
	}

	const check = await library.queryUrl(url);
	return check.fileType ? check.fileName : undefined;
}

/**
 * `isoman edit ID --name …`: through the library like every other action, so with a daemon running the daemon
 * carries it out and its reply (the edited image, or the refusal) is what is printed. The move is crash-safe.
 */
async function edit(args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length !== 1) {
		io.err(`isoman: invalid id: edit takes exactly one id (got ${args.length})`);
		return EXIT.invalid;
	}

	const patch = {
		name: flags.name,
		version: flags.version,
		arch: flags.arch,
		edition: flags.edition,
		url: flags.url,
		checksumUrl: flags.checksumUrl,
		checksum: flags.checksum,
		checksumType: flags.checksumType,
	};
	if (Object.values(patch).every(v => v === undefined)) {
		io.err('isoman: invalid edit: give at least one of --name, --version, --arch, --edition, --url, --checksum-url, --checksum, --checksum-type');
		return EXIT.invalid;
	}

	const library = await openLibrary(config, log, 'command', {onWait: holder => io.err(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`)});
	try {
		const before = library.library.resolve(args[0]!);
		const after = await library.library.edit(before.id, patch);
		if (flags.json) io.out(JSON.stringify(imageToJson(after), null, 2));
		// Compared by time, not identity: through a daemon the reply is a copy of the row.
		else if (after.updatedAt === before.updatedAt) io.out(`${after.id}  unchanged`);
		else io.out(`${after.id}  ${stateWord(after)}  ${after.filePath}${before.filePath === after.filePath ? '' : ` (was ${before.filePath})`}`);
		return EXIT.ok;
	} finally {
		await library.close();
	}
}

async function stats(flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	const manager = openReader(config);
	try {
		const s = manager.stats();
		const trend = manager.trend('daily', 30);
		io.out(flags.json ? JSON.stringify({...statsToJson(s), trends: trend}, null, 2) : statsText(s, trend, config.ascii));
		return EXIT.ok;
	} finally {
		await manager.close();
	}
}

async function read(name: 'list' | 'show', args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	const manager = openReader(config);
	try {
		if (name === 'list') {
			const images = manager.list();
			io.out(flags.json ? jsonText(images.map(imageToJson), 2) : images.length === 0 ? 'The library is empty: isoman add <url>' : imageTable(images));
			return EXIT.ok;
		}

		if (args.length !== 1) {
			io.err('isoman: invalid id: show takes exactly one id');
			return EXIT.invalid;
		}

		const image = manager.resolve(args[0]!);
		if (flags.json) {
			io.out(jsonText(imageToJson(image), 2));
			return EXIT.ok;
		}

		io.out(describe(image, manager));
		return EXIT.ok;
	} finally {
		await manager.close();
	}
}

function describe(image: Image, manager: LibraryReader): string {
	const globalRate = manager.maxRate();
	const rows: Array<[string, string]> = [
		['id', image.id],
		['name', image.name],
		['version', image.version],
		['arch', image.arch],
		['edition', image.edition ?? '-'],
		['type', image.fileType],
		['path', path.join(manager.config.imagesDir, image.filePath)],
		['state', stateWord(image)],
		['size', `${formatBytes(image.sizeBytes)} (${formatBytes(image.downloadedBytes)} downloaded)`],
		['url', redactUrl(image.downloadUrl)],
		['checksum source', image.checksumUrl ? redactUrl(image.checksumUrl) : (image.expectedChecksum ? 'digest given' : 'none (unverified)')],
		['checksum', image.checksum ? `${image.checksumType ?? ''} ${image.checksum}` : '-'],
		['expected', image.expectedChecksum ?? '-'],
		['signature', signatureLine(image)],
		['attempts', String(image.attempts)],
		['rate limit', `${formatRateLimit(image.maxRate)} (global: ${globalRate === undefined ? 'set when isoman starts' : formatRateLimit(globalRate)})`],
		['added', image.createdAt],
		['completed', image.completedAt ?? '-'],
		['last checked', image.verifiedAt ?? 'never'],
		['served', servedText(image, formatBytes)],
	];
	const server = readServerInfo(manager.config.dataDir);
	if (server && image.status === 'complete') rows.push(['download at', imageUrl(server.url, image.filePath)]);
	if (image.errorMessage) rows.push(['error', image.errorMessage]);
	const history = manager.events(image.id, 10).map(e => [e.ts, e.kind, redactUrlsIn(e.detail ?? '')]);
	return `${rows.map(([k, v]) => `${k.padEnd(16)} ${messageText(v)}`).join('\n')}\n\nHistory (newest first):\n${table(['TIME', 'EVENT', 'DETAIL'], history)}`;
}

function signatureLine(image: Image): string {
	const signed = signedByOf(image);
	if (signed) return `signed by ${signed.userId || '(no user ID)'}, ${signed.fingerprint}, on ${signed.signedAt.slice(0, 10)}`;
	const source = image.signatureUrl ? `${redactUrl(image.signatureUrl)}, not checked yet` : 'none';
	const rules = [image.signingKey ? `key ${image.signingKey} only` : '', image.requireSignature ? 'required' : ''].filter(Boolean).join(', ');
	return rules ? `${source} (${rules})` : source;
}

/** The images recovery has just marked missing or corrupt (not already among `results`), as verify results. */
function recoveryFindings(library: OpenLibrary, results: VerifyResult[]): VerifyResult[] {
	const seen = new Set(results.map(r => r.id));
	const found: VerifyResult[] = [];
	for (const [ids, outcome] of [[library.recovery?.missing ?? [], 'missing'], [library.recovery?.corrupt ?? [], 'corrupt']] as const) {
		for (const id of ids) {
			if (seen.has(id)) continue;
			seen.add(id);
			const image = library.library.get(id);
			found.push({id, outcome, message: outcome === 'missing' ? `${image?.filePath ?? id} not found` : (image?.errorMessage ?? 'corrupt')});
		}
	}

	return found;
}

async function act(action: IdAction, args: string[], config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length === 0 && action !== 'verify') {
		io.err(`isoman: invalid id: ${action} needs at least one id`);
		return EXIT.invalid;
	}

	// Here when nobody holds the library, else through the process that does: the same answers either way.
	const opened = await openLibrary(config, log, 'command', {onWait: holder => io.err(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`)});
	const {library} = opened;
	try {
		// Every id first: an unknown or ambiguous one stops the command before anything is done (exit 2).
		const images = args.length > 0 ? args.map(ref => library.resolve(ref)) : [];
		if (action === 'verify') {
			const results = await library.verify(images.length > 0 ? images.map(i => i.id) : undefined);
			// Recovery ran as this command took the library: a file it has just found gone or corrupt is a result too.
			if (images.length === 0) results.push(...recoveryFindings(opened, results));
			for (const r of results) io.out(`${r.id}  ${imageLabel(library.get(r.id) ?? images.find(i => i.id === r.id))}  ${r.outcome}${r.message ? `  ${messageText(r.message)}` : ''}`);
			return results.some(r => r.outcome === 'corrupt' || r.outcome === 'missing') ? EXIT.failure : EXIT.ok;
		}

		let code: number = EXIT.ok;
		for (const image of images) {
			try {
				if (action === 'remove') {
					await library.remove(image.id);
					io.out(`${image.id}  removed`);
				} else {
					const after = await library[action](image.id);
					io.out(`${image.id}  ${stateWord(after)}`);
				}
			} catch (error) {
				code = Math.max(code, exitFor(error, io));
			}
		}

		return code;
	} finally {
		await opened.close();
	}
}

/**
 * `limit [ID] RATE`: an image's own limit, or (without an id) the global one of the process that runs the downloads
 * (here when nobody does: then only an image's own limit can be set).
 */
async function limit(args: string[], config: Config, log: Logger, io: Io): Promise<number> {
	if (args.length < 1 || args.length > 2) {
		io.err('isoman: invalid arguments: limit takes [<id>] <rate>, e.g. `isoman limit 2M` or `isoman limit 3f2a 500K`');
		return EXIT.invalid;
	}

	const rate = parseRate(args.at(-1)!, 'rate');
	const opened = await openLibrary(config, log, 'command', {onWait: holder => io.err(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`)});
	const {library} = opened;
	try {
		const image = args.length === 2 ? library.resolve(args[0]!) : undefined;
		await library.setLimit(image?.id, rate);
		io.out(`${image ? `${image.id}  rate limit` : 'global rate limit'} ${formatRateLimit(rate)}`);
		return EXIT.ok;
	} finally {
		await opened.close();
	}
}
