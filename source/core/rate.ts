/**
 * Download rate limits as people type them, the way curl's --limit-rate reads them: a number of bytes per second,
 * optionally with a suffix K, M, G or T (1024-based: 1K = 1024 bytes/s; either case; a trailing "B" or "/s" is
 * allowed), and 0 for no limit. Parsed in linear time from a bounded string.
 */
import {IsomanError} from './types.js';

/** The catalogue setting in which the owner records its global limit (so every process sees it). */
export const MAX_RATE_SETTING = 'max_rate';

/** The global limit as the owner last recorded it (0 = none). */
export function storedMaxRate(setting: string | undefined): number {
	const stored = Number(setting ?? 0);
	return Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
}

/** No limit. */
export const UNLIMITED = 0;
/** The largest limit accepted (1 TiB/s): anything faster is no limit at all. */
export const MAX_RATE = 1024 ** 4;
const SUFFIX: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4};
const PATTERN = /^(\d{1,15}(?:\.\d{1,6})?)\s?([kmgt]?)(?:i?b)?(?:\/s)?$/i;

export const RATE_RULE = 'must be a rate in bytes per second such as 500K, 2M or 1G (K = 1024, as in curl), or 0 for no limit';

/** Bytes per second (an integer; 0 = no limit), or undefined when `text` is not a rate. */
export function tryParseRate(text: string): number | undefined {
	const trimmed = text.trim();
	if (trimmed.length === 0 || trimmed.length > 32) return undefined;
	if (/^(none|off|unlimited)$/i.test(trimmed)) return UNLIMITED;
	const m = PATTERN.exec(trimmed);
	if (!m) return undefined;
	const value = Math.round(Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!);
	if (!Number.isFinite(value) || value > MAX_RATE) return undefined;
	// A fraction of a byte per second (0.0001K) is not a limit anyone means.
	if (value === 0 && Number(m[1]) !== 0) return undefined;
	return value;
}

/** As tryParseRate, or an IsomanError('invalid') naming `field` and the rule. */
export function parseRate(text: string, field: string): number {
	const value = tryParseRate(text);
	if (value === undefined) throw new IsomanError('invalid', `${field}: "${text.slice(0, 40)}" ${RATE_RULE}`, field);
	return value;
}

/** 20971520 → "20 MiB/s", 0 → "none". */
export function formatRateLimit(bytesPerSecond: number | null | undefined): string {
	if (!bytesPerSecond) return 'none';
	const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'];
	let value = bytesPerSecond;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	const text = Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
	return `${text} ${units[unit]!}`;
}
