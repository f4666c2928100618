/**
 * The Library of the process that holds the library lock (the owner): the scheduler and the jobs, commands in,
 * events and snapshots out. It also carries out the commands clients queue in the catalogue and writes each one's
 * outcome back (command-queue.ts). A process without the lock gets a ClientLibrary instead (client-library.ts);
 * openLibrary decides which.
 */
import fsp from 'node:fs/promises';
import {assertNoLink, removeFile, SymlinkError} from './safe-fs.js';
import path from 'node:path';
import type {Config} from '../config.js';
import {USER_AGENT} from '../version.js';
import {prepareAdd, type AddInput} from './add-input.js';
import {Catalogue} from './catalogue/repository.js';
import {moveFor} from './catalogue/edits.js';
import {CatalogueReader} from './catalogue-reader.js';
import {canTransition} from './catalogue/transitions.js';
import {ChangeFeed, pollEvery} from './change-feed.js';
import {encodeError, isCommandAction, type CommandAction} from './command-queue.js';
import {applyEdit, type EditPatch} from './edit.js';
import {sidecarLine, writeSidecar} from './checksum/index.js';
import {checkFile, corruptMessage, sidecarPathOf} from './file-check.js';
import type {HttpClient} from './download/http.js';
import {limiter, TokenBucket} from './download/rate-limit.js';
import {MAX_RATE_SETTING} from './rate.js';
import {JobAbort, type AbortKind} from './job-abort.js';
import type {ImageChange, Library, LibraryEvents, Notice, ServedBatch, UrlCheck, VerifyResult} from './library.js';
import {finalPathFor, ownedFilesFor, partPathFor} from './paths.js';
import {ProgressBoard, RateMeter, type Progress} from './progress.js';
import {assertAllowed, checkAction, isVerified} from './rules.js';
import {resolveKeyRef} from './signature/keyring-files.js';
import {startScrub, type Scrubber} from './scrub.js';
import {downloadTrend, libraryStats, type LibraryStats, type Trend, type TrendPeriod} from './stats.js';
import {IsomanError, type AuditEvent, type Image, type Logger, type Status} from './types.js';

export type ManagerOptions = {
	config: Config;
	log: Logger;
	/** Ms between progress events (default 100 = 10/s). */
	progressIntervalMs?: number;
	client?: HttpClient;
	/**
	 * Run the transfers on a thread of their own (the TUI: its main thread then only reads keys and draws). Not with
	 * `client`, which is this thread's.
	 */
	transferThread?: boolean;
};

type Active = {controller: AbortController; done: Promise<void>; host: string; bucket: TokenBucket};

/** The catalogue setting that tells every process the owner's global limit. */

/** The engine's HTTP client, on this thread and on the transfer thread. */
const CLIENT_OPTIONS = {userAgent: USER_AGENT, connectTimeoutMs: 30_000, headersTimeoutMs: 60_000};

/** A job that crashed (outside its own error handling) is held back this long, doubling up to the maximum. */
const CRASH_BACKOFF_MS = 1000;
const CRASH_BACKOFF_MAX_MS = 60_000;

/** SQLite's codes for a catalogue that cannot be written now or later (not SQLITE_BUSY: that passes). */
function catalogueUnwritable(error: unknown): string | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
	if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code.startsWith('SQLITE_CONSTRAINT')) return undefined;
	return code;
}

const hostOf = (url: string) => {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
};

export class Manager extends CatalogueReader implements Library {
	/** This process runs the downloads. */
	readonly daemonPid = undefined;
	private readonly log: Logger;
	/** The download engine (undici and the transfer code), loaded on the first download. */
	private engine: Promise<typeof import('./engine.js')> | undefined;
	private client: HttpClient | undefined;
	private readonly useTransferThread: boolean;
	private transferWorker: import('./engine.js').TransferWorker | undefined;
	private readonly active = new Map<string, Active>();
	private readonly progress: ProgressBoard;
	private readonly verifying = new Map<string, AbortController>();
	private running = false;
	private closed = false;
	/** Why downloads stopped for good (see the `fatal` event). */
	private fatalReason: string | undefined;
	/** Rows whose job crashed: not launched again before `until`. */
	private readonly heldBack = new Map<string, {crashes: number; until: number}>();
	private heldBackTimer: NodeJS.Timeout | undefined;
	/** What the front ends were last told about each image, to spot other processes' writes. */
	private readonly feed: ChangeFeed;
	private watchTimer: NodeJS.Timeout | undefined;
	private scrubber: Scrubber | undefined;
	/** The global bandwidth limit (owner): every transfer takes from it, after its own image's bucket. */
	private readonly globalLimit: TokenBucket;

	constructor(options: ManagerOptions) {
		super(options.config);
		this.log = options.log;
		this.progress = new ProgressBoard(all => this.emit('progress', all), options.progressIntervalMs ?? 100);
		this.client = options.client;
		this.useTransferThread = Boolean(options.transferThread) && !options.client;
		this.globalLimit = new TokenBucket(this.config.maxRate);
		this.feed = new ChangeFeed(this.catalogue, change => this.emit('change', change));
	}

	// ---- reads: CatalogueReader ----


	/** Progress of every active transfer or verification right now. */
	progressSnapshot(): Progress[] {
		return this.progress.snapshot();
	}

	activeCount(): number {
		return this.active.size;
	}

	/** The global bandwidth limit in bytes per second (0 = none): the owner's, as it last recorded it for a client. */
	override maxRate(): number {
		return this.globalLimit.rate;
	}

	// ---- commands ----

	/** Validate, insert `pending`, record `added`. Throws IsomanError (field named) or DuplicateImageError. */
	async add(input: AddInput): Promise<Image> {
		return this.addNow(input);
	}

	/** `add`, synchronously (this process owns the catalogue connection). */
	addNow(input: AddInput): Image {
		const row = prepareAdd(input, {
			resolveKey: ref => resolveKeyRef(this.config, ref),
			requireSignature: this.config.requireSignature,
		});
		const image = this.catalogue.insert(row);
		this.log.info('image.added', {id: image.id, name: image.name, version: image.version, url: image.downloadUrl});
		this.emitChange({type: 'added', image});
		this.kick();
		return image;
	}

	/** pending/downloading → paused (the .part is kept). */
	async pause(ref: string): Promise<Image> {
		const image = this.resolve(ref);
		assertAllowed('pause', image);
		if (this.active.has(image.id)) {
			await this.abortJob(image.id, 'pause');
			return this.changed(image);
		}

		return this.apply(image, 'paused');
	}

	/** paused → pending. */
	async resume(ref: string): Promise<Image> {
		const image = this.resolve(ref);
		assertAllowed('resume', image);
		return this.apply(image, 'pending');
	}

	/** Stop a download, delete its .part, leave it failed with code `cancelled`. */
	async cancel(ref: string): Promise<Image> {
		const image = this.resolve(ref);
		assertAllowed('cancel', image);

		if (this.active.has(image.id)) {
			await this.abortJob(image.id, 'cancel');
			return this.changed(image);
		}

		await removeFile(this.config.dataDir, partPathFor(this.config, image.id));
		return this.apply(image, 'failed', {errorCode: 'cancelled', errorMessage: 'cancelled by the user', downloadedBytes: 0});
	}

	/** failed/missing → pending. */
	async retry(ref: string): Promise<Image> {
		const image = this.resolve(ref);
		assertAllowed('retry', image);
		if (image.errorCode === 'corrupt' || image.status === 'missing') {
			// The file on disk is wrong or gone: download it again from scratch.
			await this.deleteFiles(image);
		}

		// A signature is fetched and checked again (the publisher may have fixed it), with the checksum file it signs.
		if (image.signatureUrl || image.signedByFingerprint) this.catalogue.clearSigned(image.id, Boolean(image.checksumUrl));

		return this.apply(image, 'pending', {attempts: 0, downloadedBytes: 0});
	}

	/**
	 * Change an image's name/version/arch/edition (a complete image's file moves, crash-safe) or its sources (a
	 * failed or paused image is queued again). Runs here whether or not this process owns the downloads: it never
	 * touches an active download (the states it allows are not active), and the owner picks a re-queued row up.
	 */
	async edit(ref: string, patch: EditPatch): Promise<Image> {
		const image = this.resolve(ref);
		const updated = await applyEdit({catalogue: this.catalogue, config: this.config, log: this.log}, image, patch);
		if (updated !== image) {
			this.emitChange({type: 'updated', image: updated, previous: image.status});
			this.kick();
		}

		return updated;
	}

	/** Delete the row (first), then its files (best effort, logged). */
	async remove(ref: string): Promise<void> {
		const image = this.resolve(ref);
		assertAllowed('remove', image);
		if (this.active.has(image.id)) await this.abortJob(image.id, 'remove');
		this.verifying.get(image.id)?.abort(new JobAbort('remove'));
		if (!this.catalogue.remove(image.id, image.filePath)) return;
		this.log.info('image.removed', {id: image.id, path: image.filePath});
		await this.deleteFiles(image);
		this.emitChange({type: 'removed', id: image.id, image});
		this.kick();
	}

	/**
	 * Re-hash complete files (streamed, with progress, cancellable through `signal`). A mismatch marks the image
	 * failed with code `corrupt` (the file is kept); a missing file marks it `missing`.
	 */
	async verify(refs?: string[], signal?: AbortSignal): Promise<VerifyResult[]> {
		const images = refs ? refs.map(ref => this.resolve(ref)) : this.catalogue.withStatus('complete');

		const results: VerifyResult[] = [];
		for (const image of images) {
			if (signal?.aborted) break;
			results.push(await this.verifyOne(image, signal));
		}

		return results;
	}

	/**
	 * Set a bandwidth limit (bytes per second, 0 = none): an image's own when `ref` is given (kept in the catalogue),
	 * else the global one (until this owner stops). Running transfers follow within a fraction of a second, without
	 * a restart. A client queues it for the owner.
	 */
	async setLimit(ref: string | undefined, rate: number): Promise<Image | undefined> {
		if (!Number.isSafeInteger(rate) || rate < 0) throw new IsomanError('invalid', `max_rate: ${rate} is not a rate in bytes per second`, 'max_rate');
		const image = ref === undefined ? undefined : this.resolve(ref);
		if (!image) {
			this.globalLimit.setRate(rate);
			this.catalogue.setSetting(MAX_RATE_SETTING, String(rate));
			this.log.info('limit.global', {rate});
			this.emit('limit', rate);
			return undefined;
		}

		this.catalogue.update(image.id, {maxRate: rate === 0 ? null : rate});
		this.active.get(image.id)?.bucket.setRate(rate);
		this.log.info('limit.image', {id: image.id, rate});
		return this.changed(image);
	}

	// ---- running ----

	/** Start taking work (owner only). Recovery, when there is one, runs before this. */
	start(): void {
		if (this.running) return;
		this.running = true;
		if (this.config.verifyEvery) {
			this.scrubber = startScrub(
				{
					next: () => this.catalogue.leastRecentlyVerified(),
					count: () => this.catalogue.completeCount(),
					verify: async (image, rate, signal) => this.scheduledVerify(image, rate, signal),
					log: this.log,
				},
				this.config.verifyEvery,
				this.config.verifyRate,
			);
		}

		this.catalogue.setSetting(MAX_RATE_SETTING, String(this.globalLimit.rate));
		this.kick();
	}

	/**
	 * Stop taking work; return active downloads to `pending` keeping their .part (they resume at the next start).
	 */
	async stop(): Promise<void> {
		this.running = false;
		const scrubber = this.scrubber;
		this.scrubber = undefined;
		for (const controller of this.verifying.values()) controller.abort(new JobAbort('shutdown'));
		await scrubber?.stop();
		await Promise.all([...this.active.keys()].map(async id => this.abortJob(id, 'shutdown')));
		this.progress.flush();
	}

	/** Call `sync()` every `intervalMs` until closed (picks up other processes' writes within that time). */
	watch(intervalMs = 250, onError?: (error: unknown) => void): void {
		this.watchTimer ??= pollEvery(intervalMs, async () => this.sync(), onError ?? (error => this.log.error('sync.failed', {error})));
	}

	override async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.watchTimer);
		clearTimeout(this.heldBackTimer);
		await this.stop();
		this.progress.close();
		await this.client?.close();
		await this.transferWorker?.close();
		this.catalogue.close();
	}

	/** Resolves when nothing is pending or active (owner) — for `--exit-when-idle` and tests. */
	async whenIdle(): Promise<void> {
		if (this.isIdle()) return;
		await new Promise<void>(resolve => {
			const check = () => {
				if (this.isIdle()) {
					this.off('idle', check);
					resolve();
				}
			};

			this.on('idle', check);
		});
	}

	isIdle(): boolean {
		return this.active.size === 0 && this.catalogue.withStatus('pending').length === 0;
	}

	// ---- internals ----

	/** Fill free slots with the oldest pending rows, within the global and per-host limits. */
	private kick(): void {
		if (!this.running || this.closed || this.fatalReason) return;
		const pending = this.catalogue.withStatus('pending');
		const perHost = new Map<string, number>();
		for (const job of this.active.values()) perHost.set(job.host, (perHost.get(job.host) ?? 0) + 1);
		const now = Date.now();
		let nextTry = Number.POSITIVE_INFINITY;
		for (const image of pending) {
			if (this.active.size >= this.config.concurrency) break;
			if (this.active.has(image.id)) continue;
			const held = this.heldBack.get(image.id);
			if (held && held.until > now) {
				nextTry = Math.min(nextTry, held.until);
				continue;
			}

			const host = hostOf(image.downloadUrl);
			if ((perHost.get(host) ?? 0) >= this.config.perHost) continue;
			perHost.set(host, (perHost.get(host) ?? 0) + 1);
			this.launch(image, host);
		}

		if (nextTry !== Number.POSITIVE_INFINITY && !this.heldBackTimer) {
			this.heldBackTimer = setTimeout(() => {
				this.heldBackTimer = undefined;
				this.kick();
			}, nextTry - now);
			this.heldBackTimer.unref();
		}

		if (this.active.size === 0 && pending.length === 0) this.emit('idle');
	}

	/**
	 * A job threw past its own error handling (runJob turns every failure into a row state, so this is the
	 * catalogue failing, or a bug). Never relaunched in a loop: the row is marked failed with the reason when the
	 * catalogue takes it, else held back with a doubling delay; a catalogue that cannot be written stops the
	 * downloads for good with one clear message (`fatal`).
	 */
	private jobCrashed(image: Image, error: unknown): void {
		const why = error instanceof Error ? error.message : String(error);
		const unwritable = catalogueUnwritable(error);
		if (unwritable) {
			this.stopForGood(`the catalogue ${this.config.dbPath} cannot be written (${unwritable}: ${why}); downloads have stopped. Make it writable, then start isoman again`);
			return;
		}

		try {
			const current = this.catalogue.get(image.id);
			if (current && canTransition(current.status, 'failed')) {
				this.apply(current, 'failed', {errorCode: 'io', errorMessage: `the download could not run: ${why}`});
				this.heldBack.delete(image.id);
				return;
			}
		} catch (markError) {
			const code = catalogueUnwritable(markError);
			if (code) {
				this.stopForGood(`the catalogue ${this.config.dbPath} cannot be written (${code}: ${markError instanceof Error ? markError.message : String(markError)}); downloads have stopped. Make it writable, then start isoman again`);
				return;
			}

			this.log.warn('job.mark_failed_failed', {id: image.id, error: markError});
		}

		const crashes = (this.heldBack.get(image.id)?.crashes ?? 0) + 1;
		const delay = Math.min(CRASH_BACKOFF_MAX_MS, CRASH_BACKOFF_MS * 2 ** (crashes - 1));
		this.heldBack.set(image.id, {crashes, until: Date.now() + delay});
		this.log.warn('job.held_back', {id: image.id, crashes, delayMs: delay});
	}

	private stopForGood(reason: string): void {
		if (this.fatalReason) return;
		this.fatalReason = reason;
		this.running = false;
		this.log.error('downloads.stopped', {reason});
		this.emit('notice', {level: 'error', message: reason});
		this.emit('fatal', reason);
	}

	private launch(image: Image, host: string): void {
		const controller = new AbortController();
		const bucket = new TokenBucket(image.maxRate ?? 0);
		const rateLimit = limiter([bucket, this.globalLimit]);
		this.engine ??= import('./engine.js');
		const done = this.engine
			.then(async engine => {
				this.client ??= this.newClient(engine);
				if (this.useTransferThread) this.transferWorker ??= new engine.TransferWorker(CLIENT_OPTIONS);
				const worker = this.transferWorker;
				return engine.runJob(
					{
						catalogue: this.catalogue,
						config: this.config,
						client: this.client,
						log: this.log,
						onProgress: progress => this.progress.set(progress),
						onImage: updated => this.changed(updated),
						...(worker ? {transfer: async opts => worker.transfer(opts, [bucket, this.globalLimit])} : {rateLimit}),
						onNotice: notice => this.emit('notice', notice),
					},
					image,
					controller.signal,
				);
			})
			.catch((error: unknown) => {
				this.log.error('job.crashed', {id: image.id, error});
				this.jobCrashed(image, error);
			})
			.finally(() => {
				this.active.delete(image.id);
				this.progress.delete(image.id);
				let final: Image | undefined;
				try {
					final = this.catalogue.get(image.id);
				} catch (error) {
					this.log.warn('job.reread_failed', {id: image.id, error});
				}

				if (final?.status === 'failed' && final.errorCode !== 'cancelled') {
					this.emit('notice', {level: 'error', id: image.id, message: `Download failed: ${final.name} ${final.version}: ${final.errorMessage ?? final.errorCode}`});
				} else if (final?.status === 'complete') {
					const signed = final.signedByFingerprint ? `, signed by ${final.signedByUserId || final.signedByFingerprint}` : '';
					this.emit('notice', {level: 'info', id: image.id, message: `Downloaded ${final.name} ${final.version} (${isVerified(final) ? 'verified' : 'unverified'}${signed})`});
				}

				this.kick();
			});
		this.active.set(image.id, {controller, done, host, bucket});
	}

	private newClient(engine: typeof import('./engine.js')): HttpClient {
		return engine.createHttpClient(CLIENT_OPTIONS);
	}

	/**
	 * The detached signature a publisher usually puts next to `checksumUrl` (`SHA256SUMS.gpg`, `.sign`, `.asc`),
	 * if a HEAD request finds one: for the add form's proposal. Never throws.
	 */
	async findSignatureUrl(checksumUrl: string): Promise<string | undefined> {
		try {
			this.engine ??= import('./engine.js');
			const engine = await this.engine;
			this.client ??= this.newClient(engine);
			return await engine.findSignatureUrl(this.client, checksumUrl);
		} catch (error) {
			this.log.debug('signature.probe_failed', {url: checksumUrl, error});
			return undefined;
		}
	}

	async queryUrl(url: string): Promise<UrlCheck> {
		try {
			this.engine ??= import('./engine.js');
			const engine = await this.engine;
			this.client ??= this.newClient(engine);
			return await engine.queryUrl(this.client, url);
		} catch (error) {
			this.log.debug('url.query_failed', {url, error});
			return {reachable: false, size: null, finalUrl: url, redirects: 0, problem: error instanceof Error ? error.message : String(error)};
		}
	}

	private async abortJob(id: string, kind: AbortKind): Promise<void> {
		const job = this.active.get(id);
		if (!job) return;
		job.controller.abort(new JobAbort(kind));
		await job.done;
	}

	/** The scheduled check of one image (the scrub): like `verify`, at `rate` bytes/s, and a mismatch is announced. */
	private async scheduledVerify(image: Image, rate: number, signal: AbortSignal): Promise<VerifyResult> {
		if (this.verifying.has(image.id)) return {id: image.id, outcome: 'skipped', message: 'already being verified'};
		const result = await this.verifyOne(image, signal, rate);
		if (result.outcome === 'corrupt' || result.outcome === 'missing') {
			this.emit('notice', {level: 'error', id: image.id, message: `Scheduled check: ${image.name} ${image.version} is ${result.outcome}; it is no longer served (${result.message ?? ''})`});
		}

		return result;
	}

	private async verifyOne(image: Image, signal?: AbortSignal, rate?: number): Promise<VerifyResult> {
		const verdict = checkAction('verify', image);
		if (!verdict.allowed) return {id: image.id, outcome: 'skipped', message: verdict.reason};

		const file = finalPathFor(this.config, image);
		const controller = new AbortController();
		const onAbort = () => controller.abort(signal?.reason);
		signal?.addEventListener('abort', onAbort, {once: true});
		this.verifying.set(image.id, controller);
		const meter = new RateMeter();
		try {
			try {
				// A link at the image's path (or among its directories) is not the file isoman placed there.
				assertNoLink(this.config.dataDir, file, {self: true});
			} catch (error) {
				if (!(error instanceof SymlinkError)) throw error;
				if (image.status === 'complete') this.apply(image, 'failed', {errorCode: 'corrupt', errorMessage: error.message});
				return {id: image.id, outcome: 'corrupt', message: error.message};
			}

			const check = await checkFile(file, image, {
				signal: controller.signal,
				rate,
				onProgress: (done, total) => {
					meter.sample(done);
					this.progress.set({id: image.id, phase: 'verifying', downloaded: done, total, rate: meter.rate(), eta: meter.eta(done, total), stalled: false});
				},
			});
			const {algorithm, hex} = check;
			if (check.differs) {
				const message = corruptMessage(check);
				if (image.status === 'complete') this.apply(image, 'failed', {errorCode: 'corrupt', errorMessage: message});
				else this.catalogue.addEvent(image.id, 'verified', message);
				return {id: image.id, outcome: 'corrupt', message};
			}

			// A signed image: the kept checksum file and signature must still verify and still vouch for the digest.
			const unsigned = image.signedByFingerprint ? await (await import('./signature/check.js')).recheckKept(this.config, image) : undefined;
			if (unsigned) {
				const message = `corrupt: the data matches its digest, but ${unsigned}; the files are kept for you to decide (retry downloads and checks them again)`;
				if (image.status === 'complete') this.apply(image, 'failed', {errorCode: 'corrupt', errorMessage: message});
				else this.catalogue.addEvent(image.id, 'verified', message);
				return {id: image.id, outcome: 'corrupt', message};
			}

			const sidecar = await this.recheckSidecar(image, algorithm, hex);
			if (image.status === 'complete') {
				this.catalogue.update(image.id, {verifiedAt: new Date().toISOString()});
				this.catalogue.addEvent(image.id, 'verified', `${algorithm} ${hex}${image.signedByFingerprint ? `; signature by ${image.signedByFingerprint} checked again` : ''}${sidecar ? `; ${sidecar}` : ''}`);
				this.changed(image);
			} else {
				this.apply(image, 'complete', {checksum: hex, completedAt: image.completedAt ?? new Date().toISOString()}, `${algorithm} ${hex}`);
			}

			return {id: image.id, outcome: 'ok'};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
				// An edit is moving the file this very moment: it is not missing.
				if (moveFor(this.catalogue, image.id)) return {id: image.id, outcome: 'skipped', message: 'being moved by an edit'};
				if (image.status === 'complete') this.apply(image, 'missing', {}, `${image.filePath} not found`);
				return {id: image.id, outcome: 'missing', message: `${image.filePath} not found`};
			}

			throw error;
		} finally {
			signal?.removeEventListener('abort', onAbort);
			this.verifying.delete(image.id);
			this.progress.delete(image.id);
		}
	}

	/** The sidecar must name the file with the verified digest: a missing or wrong one is written again (it is derived). */
	private async recheckSidecar(image: Image, algorithm: Image['checksumType'] & string, hex: string): Promise<string | undefined> {
		const dir = path.dirname(finalPathFor(this.config, image));
		const file = sidecarPathOf(this.config, {...image, checksumType: algorithm})!;
		const stat = await fsp.lstat(file).catch(() => undefined);
		const current = stat?.isFile() ? await fsp.readFile(file, 'utf8').catch(() => undefined) : undefined;
		if (current === sidecarLine(hex, image.filename)) return undefined;
		await writeSidecar(dir, image.filename, algorithm, hex);
		this.log.warn('verify.sidecar_rewritten', {id: image.id, file});
		return `sidecar ${path.basename(file)} was ${current === undefined ? 'missing' : 'wrong'}: written again`;
	}

	private async deleteFiles(image: Image): Promise<void> {
		const files = [partPathFor(this.config, image.id)];
		try {
			// The image, its sidecar and the publisher's files kept beside it.
			files.push(...ownedFilesFor(this.config, image));
		} catch (error) {
			// A stored path that breaks the rules names no file isoman may delete.
			this.log.warn('file.path_unusable', {id: image.id, error});
		}
		for (const file of files) {
			try {
				// The name only (a link is unlinked, never followed), never a directory, no link among its parents.
				await removeFile(this.config.dataDir, file);
			} catch (error) {
				this.log.warn('file.delete_failed', {id: image.id, file, error});
			}
		}
	}

	private apply(image: Image, to: Status, patch: Parameters<Catalogue['transition']>[2] = {}, detail?: string): Image {
		const updated = this.catalogue.transition(image.id, to, patch, detail);
		this.emitChange({type: 'updated', image: updated, previous: image.status});
		this.kick();
		return updated;
	}

	private changed(image: Image): Image {
		const updated = this.catalogue.get(image.id);
		if (!updated) return image;
		// `previous` is what the front ends were last told (callers often pass the row after its transition).
		const told = this.feed.toldStatus(image.id);
		this.emitChange({type: 'updated', image: updated, previous: told ?? image.status});
		return updated;
	}

	notify(notice: Notice): void {
		this.emit('notice', notice);
	}

	private emitChange(change: ImageChange): void {
		this.feed.announce(change);
	}

	/**
	 * Pick up what other processes wrote: new, changed and removed rows (emitted as changes), and the commands
	 * clients queued (carried out, each outcome written back for its sender). Cheap when nothing changed (PRAGMA
	 * data_version). Called on a timer by the daemon and the TUI; `force` also compares when only this connection
	 * wrote (after recovery, which writes the catalogue directly).
	 */
	async sync(force = false): Promise<void> {
		if (this.closed) return;
		await this.runQueuedCommands();
		if (this.feed.poll(force)) this.kick();
	}

	/** A previous owner's commands that it took and never answered: their senders learn it stopped. */
	settleOrphanedCommands(): void {
		this.catalogue.settleOrphanedCommands(encodeError(new Error('the process that held the library stopped before it had carried this out')).reply);
	}

	/** Carry out each queued command and write its outcome into its row. Verify runs beside the others. */
	private async runQueuedCommands(): Promise<void> {
		for (const command of this.catalogue.takeCommands()) {
			const run = this.carryOut(command.id, command.action, command.imageId ?? '', command.argument, command.requestedBy);
			// Hashing a large file takes a while: the other queued commands must not wait for it.
			if (command.action !== 'verify') await run;
		}
	}

	private async carryOut(id: number, action: string, ref: string, args: string | null, from: number | null): Promise<void> {
		let state: 'done' | 'refused' | 'failed' = 'done';
		let reply: string;
		try {
			if (!isCommandAction(action)) throw new Error(`unknown command ${action}`);
			const value = await this.commands[action](ref, args === null ? undefined : (JSON.parse(args) as unknown));
			reply = JSON.stringify(value ?? null);
			this.log.info('command.done', {action, id: ref, from});
		} catch (error) {
			this.log.warn('command.failed', {action, id: ref, from, error});
			({state, reply} = encodeError(error));
		}

		try {
			if (!this.closed) this.catalogue.replyCommand(id, state, reply);
		} catch (error) {
			this.log.error('command.reply_failed', {action, id: ref, error});
		}
	}

	/** What each queued command does: the same methods a front end in this process calls. */
	private readonly commands: Record<CommandAction, (ref: string, args: unknown) => Promise<unknown>> = {
		add: async (_ref, args) => this.add((args as {input: AddInput}).input),
		pause: async ref => this.pause(ref),
		resume: async ref => this.resume(ref),
		cancel: async ref => this.cancel(ref),
		retry: async ref => this.retry(ref),
		remove: async ref => this.remove(ref),
		verify: async (_ref, args) => this.verify((args as {refs?: string[]} | undefined)?.refs),
		edit: async (ref, args) => this.edit(ref, (args as {patch: EditPatch}).patch),
		limit: async (ref, args) => this.setLimit(ref === '' ? undefined : ref, (args as {rate: number}).rate),
	};
}
