/**
 * The reads every library shares, written once: the owner's Manager, a ClientLibrary and the plain reader that
 * `list`, `show` and `stats` open all answer them from their own catalogue connection.
 */
import {EventEmitter} from 'node:events';
import type {Config} from '../config.js';
import {openDatabase} from './catalogue/database.js';
import {Catalogue} from './catalogue/repository.js';
import type {LibraryEvents, LibraryReader, ServedBatch} from './library.js';
import {readLock} from './lock.js';
import {MAX_RATE_SETTING, storedMaxRate} from './rate.js';
import {downloadTrend, libraryStats, type LibraryStats, type Trend, type TrendPeriod} from './stats.js';
import type {AuditEvent, Image, Status} from './types.js';

export class CatalogueReader extends EventEmitter<LibraryEvents> implements LibraryReader {
	readonly catalogue: Catalogue;

	constructor(readonly config: Config) {
		super();
		this.catalogue = new Catalogue(openDatabase(config.dbPath));
	}

	list(): Image[] {
		return this.catalogue.list();
	}

	get(id: string): Image | undefined {
		return this.catalogue.get(id);
	}

	/** By id or unique id prefix; throws NotFoundError. */
	resolve(ref: string): Image {
		return this.catalogue.resolve(ref);
	}

	events(id: string, limit = 20): AuditEvent[] {
		return this.catalogue.events(id, limit);
	}

	withStatus(status: Status): Image[] {
		return this.catalogue.withStatus(status);
	}

	completeByPath(filePath: string): Image | undefined {
		return this.catalogue.completeByPath(filePath);
	}

	stats(): LibraryStats {
		return libraryStats(this.catalogue, this.config.imagesDir);
	}

	trend(period: TrendPeriod, days: number): Trend {
		return downloadTrend(this.catalogue, period, days);
	}

	/** The global limit the owner recorded; undefined when no process runs the downloads (it is set when one starts). */
	maxRate(): number | undefined {
		return readLock(this.config.dataDir) ? storedMaxRate(this.catalogue.setting(MAX_RATE_SETTING)) : undefined;
	}

	recordServed(batch: ServedBatch): void {
		this.catalogue.recordServed(batch);
	}

	async close(): Promise<void> {
		this.catalogue.close();
	}
}
