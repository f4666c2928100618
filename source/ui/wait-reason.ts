/**
 * Why a queued image is not downloading yet, from the library as it is: another download from the same host
 * uses the per-host limit ("waiting: 2 already from mirror.example"), or every download slot is taken. Pure.
 */
import type {Image} from '../core/index.js';

export type Limits = {concurrency: number; perHost: number};

export const hostOf = (url: string): string => {
	try {
		return new URL(url).host;
	} catch {
		return '';
	}
};

const running = (image: Image) => image.status === 'downloading' || image.status === 'verifying';

/** Counts of running downloads, in all and per host: compute once per snapshot. */
export function runningCounts(images: readonly Image[]): {total: number; perHost: Map<string, number>} {
	const perHost = new Map<string, number>();
	let total = 0;
	for (const image of images) {
		if (image.status !== 'downloading') {
			if (image.status === 'verifying') total++;
			continue;
		}

		total++;
		const host = hostOf(image.downloadUrl);
		perHost.set(host, (perHost.get(host) ?? 0) + 1);
	}

	return {total, perHost};
}

export function waitReason(image: Image, counts: ReturnType<typeof runningCounts>, limits: Limits): string | undefined {
	if (image.status !== 'pending' || running(image)) return undefined;
	const host = hostOf(image.downloadUrl);
	const fromHost = counts.perHost.get(host) ?? 0;
	if (fromHost >= limits.perHost) return `waiting: ${fromHost} already from ${host}`;
	if (counts.total >= limits.concurrency) return `waiting: ${counts.total} of ${limits.concurrency} downloads running`;
	return undefined;
}
