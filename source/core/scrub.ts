/**
 * The scheduled integrity check (`--verify-every`): the owner re-hashes each complete image about once per period,
 * one at a time, at a bounded read rate, spread out over the period rather than all at once. The next image is
 * the one checked longest ago (`verified_at`, else `completed_at`); it runs when it is due, and never sooner than
 * period / (number of complete images) after the previous check ended. Reading never blocks anyone serving or
 * downloading the same file (nothing is locked; reads are rate-limited and yield every chunk).
 */
import type {Image, Logger} from './types.js';

export type ScrubDeps = {
	/** The complete image checked longest ago, if any. */
	next(): Image | undefined;
	/** How many images are complete. */
	count(): number;
	/** Re-hash one image at `rate` bytes/s; marks it corrupt or missing when it is. */
	verify(image: Image, rate: number, signal: AbortSignal): Promise<unknown>;
	log: Logger;
	now?: () => number;
};

export type Scrubber = {stop(): Promise<void>};

/** Longest single wait: new images and checks done by hand are noticed at least this often. */
const MAX_WAIT_MS = 60_000;

export function startScrub(deps: ScrubDeps, periodSeconds: number, rate: number): Scrubber {
	const controller = new AbortController();
	const {signal} = controller;
	const now = deps.now ?? Date.now;
	const periodMs = periodSeconds * 1000;
	const sleep = async (ms: number) =>
		new Promise<void>(resolve => {
			const timer = setTimeout(done, ms);
			function done() {
				clearTimeout(timer);
				signal.removeEventListener('abort', done);
				resolve();
			}

			signal.addEventListener('abort', done, {once: true});
		});

	const loop = async () => {
		let lastEnded = 0;
		while (!signal.aborted) {
			const image = deps.next();
			if (!image) {
				await sleep(Math.min(periodMs, MAX_WAIT_MS));
				continue;
			}

			const checked = Date.parse(image.verifiedAt ?? image.completedAt ?? '') || 0;
			const spacing = periodMs / Math.max(1, deps.count());
			const at = Math.max(checked + periodMs, lastEnded + spacing);
			const wait = at - now();
			if (wait > 0) {
				// Wake at most every minute to look again (an image added, removed or checked by hand meanwhile).
				await sleep(Math.min(wait, MAX_WAIT_MS));
				continue;
			}

			deps.log.info('scrub.start', {id: image.id, path: image.filePath, rate});
			try {
				await deps.verify(image, rate, signal);
			} catch (error) {
				if (signal.aborted) break;
				deps.log.warn('scrub.failed', {id: image.id, error});
			}

			lastEnded = now();
		}
	};

	const running = loop().catch((error: unknown) => deps.log.error('scrub.crashed', {error}));
	return {
		async stop() {
			controller.abort();
			await running;
		},
	};
}
