/**
 * The Library of a process that does not hold the library lock (another TUI or a daemon does): reads come from
 * the catalogue, every command is a row in the owner's command queue, and the answer is the owner's — the same
 * value, or the same typed error, as if the owner had run here. Changes and progress are picked up by polling.
 */
import type {Config} from '../config.js';
import {USER_AGENT} from '../version.js';
import type {AddInput} from './add-input.js';
import {CatalogueReader} from './catalogue-reader.js';
import {ChangeFeed, pollEvery} from './change-feed.js';
import {decodeError, OwnerUnavailableError, type CommandAction} from './command-queue.js';
import type {EditPatch} from './edit.js';
import type {Library, Notice, UrlCheck, VerifyResult} from './library.js';
import {readLock} from './lock.js';
import {ProgressBoard, RateMeter, type Progress} from './progress.js';
import {MAX_RATE_SETTING, storedMaxRate} from './rate.js';
import type {Image, Logger} from './types.js';

export type ClientOptions = {
	config: Config;
	log: Logger;
	/** The pid of the process that holds the library (and runs the downloads). */
	ownerPid: number;
	/** What the owner is (daemon, tui), for messages. */
	ownerRole?: string;
	/** How long the owner may take to pick a command up (ms, default 10 000; a live owner takes it within a second). */
	pickUpMs?: number;
	/** Ms between looks at a command's row (default 25). */
	pollMs?: number;
	progressIntervalMs?: number;
};

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export class ClientLibrary extends CatalogueReader implements Library {
	readonly daemonPid: number;
	private readonly log: Logger;
	private readonly feed: ChangeFeed;
	private readonly owner: string;
	private readonly pickUpMs: number;
	private readonly pollMs: number;
	private readonly progress: ProgressBoard;
	private readonly meters = new Map<string, RateMeter>();
	private watchTimer: NodeJS.Timeout | undefined;
	private ownerGoneNoticed = false;
	/** The owner's global limit as last announced ('limit' events). */
	private lastLimit: number;
	private closed = false;

	constructor(options: ClientOptions) {
		super(options.config);
		this.log = options.log;
		this.daemonPid = options.ownerPid;
		this.owner = `isoman ${options.ownerRole ?? 'daemon'} pid ${options.ownerPid}`;
		this.pickUpMs = options.pickUpMs ?? 10_000;
		this.pollMs = options.pollMs ?? 25;
		this.feed = new ChangeFeed(this.catalogue, change => this.emit('change', change));
		this.progress = new ProgressBoard(all => this.emit('progress', all), options.progressIntervalMs ?? 100);
		this.lastLimit = this.maxRate();
	}

	// ---- reads: CatalogueReader ----

	/** The owner's global limit, as it last recorded it. */
	override maxRate(): number {
		return storedMaxRate(this.catalogue.setting(MAX_RATE_SETTING));
	}

	progressSnapshot(): Progress[] {
		return this.progress.snapshot();
	}

	/** Nothing downloads in this process. */
	activeCount(): number {
		return 0;
	}

	// ---- commands: through the owner (which resolves the ids, so its NotFoundError is the one thrown) ----

	async add(input: AddInput): Promise<Image> {
		// This process's --require-signature (ISOMAN_REQUIRE_SIGNATURE) counts, not only the owner's.
		const requireSignature = Boolean(input.requireSignature || this.config.requireSignature);
		return (await this.send('add', null, {input: {...input, requireSignature}})) as Image;
	}

	/** A read: HEAD requests from this process, not through the owner. */
	async findSignatureUrl(checksumUrl: string): Promise<string | undefined> {
		try {
			return await (await import('./signature/probe.js')).probeSignatureUrl(checksumUrl, USER_AGENT);
		} catch {
			return undefined;
		}
	}

	/** A read: a request from this process, not through the owner. */
	async queryUrl(url: string): Promise<UrlCheck> {
		const {createHttpClient, queryUrl} = await import('./engine.js');
		const client = createHttpClient({userAgent: USER_AGENT, connectTimeoutMs: 5000, headersTimeoutMs: 5000});
		try {
			return await queryUrl(client, url);
		} finally {
			await client.close().catch(() => undefined);
		}
	}

	async pause(ref: string): Promise<Image> {
		return (await this.send('pause', ref)) as Image;
	}

	async resume(ref: string): Promise<Image> {
		return (await this.send('resume', ref)) as Image;
	}

	async cancel(ref: string): Promise<Image> {
		return (await this.send('cancel', ref)) as Image;
	}

	async retry(ref: string): Promise<Image> {
		return (await this.send('retry', ref)) as Image;
	}

	async remove(ref: string): Promise<void> {
		await this.send('remove', ref);
	}

	async edit(ref: string, patch: EditPatch): Promise<Image> {
		return (await this.send('edit', ref, {patch})) as Image;
	}

	async setLimit(ref: string | undefined, rate: number): Promise<Image | undefined> {
		return ((await this.send('limit', ref ?? null, {rate})) as Image | null) ?? undefined;
	}

	async verify(refs?: string[], signal?: AbortSignal): Promise<VerifyResult[]> {
		return (await this.send('verify', null, {refs}, signal)) as VerifyResult[];
	}

	/**
	 * Queue a command, wait for the owner's answer, read it (the row goes) and return its value or throw its
	 * error. Not picked up within `pickUpMs`, or the owner gone: OwnerUnavailableError, and the command is withdrawn
	 * when it had not been taken (so nobody carries it out later unasked).
	 */
	private async send(action: CommandAction, imageId: string | null, args?: unknown, signal?: AbortSignal): Promise<unknown> {
		if (this.closed) throw new OwnerUnavailableError('the library is closed');
		const id = this.catalogue.enqueueCommand(action, imageId, args === undefined ? null : JSON.stringify(args));
		const pickUpBy = Date.now() + this.pickUpMs;
		const what = `${action}${imageId ? ` ${imageId}` : ''}`;
		for (;;) {
			const row = this.catalogue.commandReply(id);
			if (!row) throw new OwnerUnavailableError(`${what}: the command was withdrawn before ${this.owner} answered it`);
			if (row.state === 'done' || row.state === 'refused' || row.state === 'failed') {
				this.catalogue.deleteCommand(id);
				if (row.state !== 'done') throw decodeError(row.reply);
				return row.reply === null ? null : (JSON.parse(row.reply) as unknown);
			}

			const gone = !this.ownerAlive();
			const late = row.state === 'queued' && Date.now() > pickUpBy;
			if (gone || late || signal?.aborted || this.closed) {
				// One last look: the answer may have come in the meantime.
				const last = this.catalogue.commandReply(id);
				if (last && last.state !== 'queued' && last.state !== 'running') continue;
				const withdrawn = this.catalogue.withdrawCommand(id);
				if (!withdrawn && !gone && !this.closed && !signal?.aborted) continue; // taken just now: wait for it
				if (!withdrawn) this.catalogue.deleteCommand(id);
				if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
				throw new OwnerUnavailableError(
					gone
						? `${what}: not done: ${this.owner} exited before carrying it out (start isoman or isoman --daemon, then try again)`
						: `${what}: not done: ${this.owner} did not take it within ${Math.round(this.pickUpMs / 1000)} s`,
				);
			}

			await sleep(this.pollMs);
		}
	}

	// ---- running: the owner does it ----

	start(): void {}

	async stop(): Promise<void> {
		this.progress.flush();
	}

	watch(intervalMs = 250, onError?: (error: unknown) => void): void {
		this.watchTimer ??= pollEvery(intervalMs, async () => this.sync(), onError ?? (error => this.log.error('sync.failed', {error})));
	}

	/** The owner's writes as changes, and its downloads' progress from the rows it writes. */
	async sync(force = false): Promise<void> {
		if (this.closed) return;
		this.checkOwnerAlive();
		const rows = this.feed.poll(force);
		if (!rows) return;
		if (!this.ownerGoneNoticed) for (const image of rows) this.trackProgress(image);
		const limit = this.maxRate();
		if (limit !== this.lastLimit) {
			this.lastLimit = limit;
			this.emit('limit', limit);
		}
	}

	isIdle(): boolean {
		return this.catalogue.withStatus('pending').length === 0 && this.catalogue.withStatus('downloading').length === 0 && this.catalogue.withStatus('verifying').length === 0;
	}

	async whenIdle(): Promise<void> {
		await new Promise<void>(resolve => {
			const check = () => {
				if (!this.isIdle()) return;
				this.off('change', check);
				resolve();
			};

			this.on('change', check);
			check();
		});
	}

	notify(notice: Notice): void {
		this.emit('notice', notice);
	}

	override async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.watchTimer);
		this.progress.close();
		this.catalogue.close();
	}

	// ---- internals ----

	private ownerAlive(): boolean {
		return readLock(this.config.dataDir)?.pid === this.daemonPid;
	}

	/** A client whose owner went away says so once: nothing downloads until isoman is started again. */
	private checkOwnerAlive(): void {
		if (this.ownerGoneNoticed || this.ownerAlive()) return;
		this.ownerGoneNoticed = true;
		this.log.warn('owner.gone', {pid: this.daemonPid});
		// Nothing downloads any more: no row keeps its last speed and ETA.
		this.meters.clear();
		this.progress.clear();
		this.progress.flush();
		this.emit('notice', {level: 'error', lasting: true, message: `the daemon (pid ${this.daemonPid}) has stopped: nothing downloads until isoman or isoman --daemon is started again`});
		this.emit('ownerGone', this.daemonPid);
	}

	private trackProgress(image: Image): void {
		if (image.status !== 'downloading') {
			this.meters.delete(image.id);
			this.progress.delete(image.id);
			return;
		}

		let meter = this.meters.get(image.id);
		if (!meter) {
			meter = new RateMeter();
			this.meters.set(image.id, meter);
		}

		meter.sample(image.downloadedBytes);
		this.progress.set({
			id: image.id,
			phase: 'downloading',
			downloaded: image.downloadedBytes,
			total: image.sizeBytes,
			rate: meter.rate(),
			eta: meter.eta(image.downloadedBytes, image.sizeBytes),
			stalled: meter.stalled(),
		});
	}
}
