/**
 * What every front end (TUI, daemon, subcommands, HTTP server, scripts) holds: one library object with the same
 * methods whether this process runs the downloads or works through the process that does. `openLibrary` picks
 * the implementation; nothing outside core needs to know which one it got.
 */
import type {EventEmitter} from 'node:events';
import type {Config} from '../config.js';
import type {AddInput} from './add-input.js';
import type {EditPatch} from './edit.js';
import type {LibraryStats, Trend, TrendPeriod} from './stats.js';
import type {Progress} from './progress.js';
import type {AuditEvent, Image, Status} from './types.js';

export type ImageChange =
	| {type: 'added'; image: Image}
	| {type: 'updated'; image: Image; previous: Status | undefined}
	| {type: 'removed'; id: string; image?: Image};

export type Notice = {
	level: 'info' | 'warn' | 'error';
	message: string;
	id?: string;
	/** A state that holds until something changes it (a front end keeps it on a line that stays, not a passing message). */
	lasting?: boolean;
};

export type LibraryEvents = {
	change: [ImageChange];
	/** Every active transfer's progress, coalesced: at most 10 events a second in all. */
	progress: [Progress[]];
	notice: [Notice];
	/** Nothing pending or active. */
	idle: [];
	/** A client's owner (the process that ran the downloads, its pid) no longer holds the library. */
	ownerGone: [number];
	/** The global bandwidth limit changed (bytes per second, 0 = none). */
	limit: [number];
	/**
	 * Downloads have stopped for good in this process (the catalogue cannot be written): the message says why.
	 * The daemon exits 1 on it; the TUI shows it.
	 */
	fatal: [string];
};

export type ServedBatch = ReadonlyArray<{id: string; bytes: number; downloads: readonly string[]}>;

/** What a URL check (`queryUrl`) found: before an image is added, what its server says is there. */
export type UrlCheck = {
	reachable: boolean;
	/** The HTTP status of the answer (absent when no answer came). */
	status?: number;
	/** Bytes, when the server says. */
	size: number | null;
	/** The URL that answered, after redirects. */
	finalUrl: string;
	redirects: number;
	/** The file name the server gives (sanitised), or the final URL's last segment. */
	fileName?: string;
	/** The image type `fileName` tells (`iso`, `qcow2.xz`), when it is a supported one. */
	fileType?: string;
	/** Why it is not reachable (or what is odd: an HTML page), for a person. */
	problem?: string;
};

export type VerifyResult = {id: string; outcome: 'ok' | 'corrupt' | 'missing' | 'skipped'; message?: string};

/** Reads only: what `list` and `show` need (no lock, no commands). */
export interface LibraryReader {
	readonly config: Config;
	list(): Image[];
	get(id: string): Image | undefined;
	/** By id or unique id prefix; throws NotFoundError. */
	resolve(ref: string): Image;
	/** Audit events, newest first. */
	events(id: string, limit?: number): AuditEvent[];
	/** The global bandwidth limit in bytes per second (0 = none), as the owner last recorded it; undefined when no process runs the downloads. */
	maxRate(): number | undefined;
	/** Images in one state, oldest first. */
	withStatus(status: Status): Image[];
	/** The complete image whose file_path (relative to images/) is `filePath`: what the HTTP server may serve. */
	completeByPath(filePath: string): Image | undefined;
	/** Counts and sizes by state, disk use (the `stats` command and /api/stats). */
	stats(): LibraryStats;
	/** Whole-file downloads served per day or week, the last `days` days. */
	trend(period: TrendPeriod, days: number): Trend;
	close(): Promise<void>;
}

export interface Library extends LibraryReader, Pick<EventEmitter<LibraryEvents>, 'on' | 'off' | 'once'> {
	/** The global bandwidth limit in bytes per second (0 = none) of the process that runs the downloads. */
	maxRate(): number;
	/** The pid of the process that runs the downloads when it is not this one (shown by the TUI). */
	readonly daemonPid: number | undefined;
	/** Progress of every active transfer or verification right now. */
	progressSnapshot(): Progress[];
	/** Downloads this process is running (0 when another process runs them). */
	activeCount(): number;

	/** Validate, insert `pending`. Throws IsomanError (field named) or DuplicateImageError. */
	add(input: AddInput): Promise<Image>;
	/** pending/downloading → paused (the .part is kept). */
	pause(ref: string): Promise<Image>;
	/** paused → pending. */
	resume(ref: string): Promise<Image>;
	/** Stop a download, delete its .part, leave it failed with code `cancelled`. */
	cancel(ref: string): Promise<Image>;
	/** failed/missing → pending. */
	retry(ref: string): Promise<Image>;
	/** Change name/version/arch/edition (the file moves) or the sources (a failed/paused image is queued again). */
	edit(ref: string, patch: EditPatch): Promise<Image>;
	/** A bandwidth limit (bytes/s, 0 = none): an image's own when `ref` is given, else the global one. */
	setLimit(ref: string | undefined, rate: number): Promise<Image | undefined>;
	/** Delete the row, then its files. */
	remove(ref: string): Promise<void>;
	/** The detached signature usually published next to `checksumUrl`, if a HEAD request finds one (never throws). */
	findSignatureUrl(checksumUrl: string): Promise<string | undefined>;
	/** Ask the server of `url` what is there (HEAD, or a one-byte GET): reachable, size, file name, type. Never throws. */
	queryUrl(url: string): Promise<UrlCheck>;
	/** Re-hash files against their rows (all complete images when `refs` is absent). */
	verify(refs?: string[], signal?: AbortSignal): Promise<VerifyResult[]>;

	/** Start taking work (when this process runs the downloads). */
	start(): void;
	/** Stop taking work; active downloads go back to `pending` with their .part kept. */
	stop(): Promise<void>;
	/** Pick up other processes' writes every `intervalMs` until closed. */
	watch(intervalMs?: number, onError?: (error: unknown) => void): void;
	/** Pick up other processes' writes now. */
	sync(force?: boolean): Promise<void>;
	/** Nothing pending or active. */
	isIdle(): boolean;
	whenIdle(): Promise<void>;
	/** Count what the HTTP server sent: bytes per image, and whole-file downloads (their timestamps). */
	recordServed(batch: ServedBatch): void;
	/** Tell the front ends something (shown in the TUI's status line, logged by the daemon). */
	notify(notice: Notice): void;
}
