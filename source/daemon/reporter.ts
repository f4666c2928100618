/**
 * NDJSON reporter for the daemon: one line per state change (`{"ts","level","event","id",…}`) and a progress
 * line per active download at most every `progressEveryMs` (5 s).
 */
import {isVerified, jsonText, percentOf, redactUrl, redactUrlsIn, type Image, type ImageChange, type Library, type Notice, type Progress, type Status} from '../core/index.js';

export type Write = (line: string) => void;

/** The daemon's one NDJSON line writer: `{"ts","level","event",…fields}`. */
export function ndjsonWriter(write: Write) {
	return (level: string, event: string, fields: Record<string, unknown> = {}) => {
		// jsonText: C1 and bidi characters escaped too, so the lines are safe to read on a terminal.
		write(jsonText({ts: new Date().toISOString(), level, event, ...fields}));
	};
}

function imageFields(image: Image) {
	return {
		name: image.name,
		version: image.version,
		arch: image.arch,
		status: image.status,
		...(image.errorCode ? {error_code: image.errorCode, error_message: image.errorMessage === null ? null : redactUrlsIn(image.errorMessage)} : {}),
		...(image.status === 'complete' ? {checksum: image.checksum, verified: isVerified(image)} : {}),
	};
}

export function attachReporter(manager: Library, write: Write, progressEveryMs = 5000): () => void {
	const line = ndjsonWriter(write);

	const lastProgress = new Map<string, number>();
	// The status last reported per image: one line per real change, however many times a change is announced.
	const reported = new Map<string, Status>(manager.list().map(image => [image.id, image.status]));
	const onChange = (change: ImageChange) => {
		if (change.type === 'added') {
			if (reported.has(change.image.id)) return;
			reported.set(change.image.id, change.image.status);
			line('info', 'added', {id: change.image.id, ...imageFields(change.image), url: redactUrl(change.image.downloadUrl)});
		} else if (change.type === 'removed') {
			if (!reported.delete(change.id)) return;
			lastProgress.delete(change.id);
			line('info', 'removed', {id: change.id});
		} else {
			const {image} = change;
			const from = reported.get(image.id) ?? change.previous ?? null;
			if (from === image.status) return;
			reported.set(image.id, image.status);
			if (image.status !== 'downloading' && image.status !== 'verifying') lastProgress.delete(image.id);
			line(image.status === 'failed' ? 'error' : 'info', image.status, {id: image.id, from, ...imageFields(image)});
		}
	};

	const onProgress = (all: Progress[]) => {
		const now = Date.now();
		for (const p of all) {
			if (now - (lastProgress.get(p.id) ?? 0) < progressEveryMs) continue;
			lastProgress.set(p.id, now);
			line('info', 'progress', {
				id: p.id,
				phase: p.phase,
				downloaded_bytes: p.downloaded,
				size_bytes: p.total,
				progress: percentOf(p.downloaded, p.total),
				rate_bps: Math.round(p.rate),
				eta_seconds: p.eta === null ? null : Math.round(p.eta),
				stalled: p.stalled,
			});
		}
	};

	const onNotice = (notice: Notice) => {
		if (notice.level === 'info') return; // the state change line already said it
		line(notice.level, 'notice', {id: notice.id ?? null, message: redactUrlsIn(notice.message)});
	};

	manager.on('change', onChange);
	manager.on('progress', onProgress);
	manager.on('notice', onNotice);
	return () => {
		manager.off('change', onChange);
		manager.off('progress', onProgress);
		manager.off('notice', onNotice);
	};
}
