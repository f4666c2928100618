/**
 * `isoman import ISOMAN_DATA_DIR [--move] [--dry-run] [--json]`: the front end of core's import. Progress goes to
 * stderr — a bar per file on a terminal, NDJSON lines otherwise — and the report to stdout: a table, or with
 * --json one object. A dry run prints the same report and changes nothing. Exit codes: 0 every row imported or
 * skipped with nothing to do; 1 any row not imported (or the library is run by a daemon); 2 invalid input (not an
 * ISOMan data directory). Ctrl-C stops after cleaning up the row in progress; a rerun finishes the job.
 */
import type {Config} from '../config.js';
import {
	displayText,
	formatBytes,
	importIsoman,
	ImportLockedError,
	jsonText,
	quote,
	SourceError,
	Throttle,
	type ImportReport,
	type ImportProgressEvent,
	type Logger,
	type RowResult,
} from '../core/index.js';
import {table} from './format.js';

export type ImportFlags = {move?: boolean; dryRun?: boolean; json?: boolean};

export type ImportIo = {
	out(text: string): void;
	err(text: string): void;
	/** Raw writes to stderr for the progress display. */
	progress: {write(text: string): void; isTTY: boolean; columns?: number};
	ascii: boolean;
};

/** A value from ISOMan's catalogue, shown as it is when plain, else quoted with control characters escaped. */
function shown(value: string): string {
	return /^[\x21-\x7e]{1,60}$/.test(value) ? value : quote(value);
}

/** The row in snake_case for --json and NDJSON. */
function rowJson(r: RowResult) {
	return {
		isoman_id: r.isomanId,
		name: r.name,
		version: r.version,
		arch: r.arch,
		edition: r.edition,
		isoman_status: r.status,
		outcome: r.outcome,
		id: r.id ?? null,
		status: r.as ?? null,
		file_path: r.filePath ?? null,
		method: r.method ?? null,
		moved: r.moved ?? false,
		bytes: r.bytes ?? null,
		field: r.field ?? null,
		reason: r.reason ?? null,
		download_count: r.downloadCount ?? null,
		download_events: r.downloadEvents ?? null,
	};
}

export function reportJson(report: ImportReport) {
	const t = report.totals;
	return {
		source: report.source,
		dry_run: report.dryRun,
		move: report.move,
		schema_version: report.schemaVersion,
		warnings: report.warnings,
		rows: report.rows.map(rowJson),
		totals: {
			rows: t.rows,
			imported: t.imported,
			skipped: t.skipped,
			not_imported: t.notImported,
			bytes_linked: t.bytesLinked,
			bytes_copied: t.bytesCopied,
			bytes_moved: t.bytesMoved,
			download_events: t.downloadEvents,
			seconds: t.seconds,
		},
		exit_code: report.exitCode,
	};
}

function what(r: RowResult, dryRun: boolean): string {
	if (r.outcome !== 'imported') return r.reason ?? '';
	const how = r.method ? ` (${r.method === 'link' ? 'hard link' : 'copy'}${r.moved ? ', ISOMan\'s file removed' : ''})` : '';
	const id = r.id ? ` as ${r.id}` : '';
	return `${dryRun ? 'would be ' : ''}${r.as}${how}${id}${r.reason ? `: ${r.reason}` : ''}`;
}

export function humanReport(report: ImportReport): string {
	const t = report.totals;
	const lines = [`Import from ${displayText(report.source)}${report.schemaVersion === null ? '' : ` (ISOMan schema ${report.schemaVersion})`}${report.dryRun ? ': dry run, nothing was changed' : ''}`];
	for (const warning of report.warnings) lines.push(`warning: ${displayText(warning)}`);
	lines.push('');
	if (report.rows.length === 0) lines.push("ISOMan's catalogue has no rows.");
	else {
		lines.push(
			table(
				['OUTCOME', 'ISOMAN ID', 'NAME', 'VERSION', 'ARCH', 'EDITION', 'WHAT'],
				report.rows.map(r => [r.outcome.replaceAll('_', ' '), r.isomanId.slice(0, 8), shown(r.name), shown(r.version), shown(r.arch), r.edition === '' ? '-' : shown(r.edition), what(r, report.dryRun)]),
			),
		);
	}

	const verb = report.dryRun ? 'would be ' : '';
	lines.push(
		'',
		`${t.rows} rows: ${t.imported} ${verb}imported, ${t.skipped} skipped (already there), ${t.notImported} not imported` +
			`; ${formatBytes(t.bytesLinked)} ${verb}linked, ${formatBytes(t.bytesCopied)} ${verb}copied, ${formatBytes(t.bytesMoved)} ${verb}moved` +
			`; ${t.downloadEvents} download events; ${t.seconds} s`,
	);
	if (t.notImported > 0) lines.push('Rows not imported are listed above with the reason; fix what they say and run the import again (nothing is imported twice).');
	return lines.join('\n');
}

/** Progress on a terminal: one line per file, redrawn in place, left at its end state. */
function terminalProgress(io: ImportIo) {
	let current: ImportProgressEvent | undefined;
	const draw = () => {
		if (!current) return;
		const width = Math.max(40, Math.min(io.progress.columns || 80, 160)) - 1;
		const fraction = current.total > 0 ? current.done / current.total : 1;
		const label = displayText(`${current.phase === 'copying' ? 'copying' : 'hashing'} ${current.filePath.slice(current.filePath.lastIndexOf('/') + 1)}`);
		const numbers = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatBytes(current.done)}/${formatBytes(current.total)}`;
		const barWidth = Math.max(10, Math.min(30, Math.floor(width / 4)));
		const filled = Math.round(fraction * barWidth);
		const bar = io.ascii ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]` : `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
		const room = Math.max(8, width - numbers.length - barWidth - 2);
		const shownLabel = label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label;
		io.progress.write(`\r\u001B[2K${shownLabel.padEnd(room)} ${bar}${numbers}`);
	};

	const throttle = new Throttle(draw, 100);
	return {
		progress(event: ImportProgressEvent) {
			if (current && current.isomanId !== event.isomanId) io.progress.write('\n');
			current = event;
			throttle.request();
		},
		row(result: RowResult) {
			if (current?.isomanId === result.isomanId) {
				throttle.cancel();
				draw();
				io.progress.write(`  ${result.outcome.replaceAll('_', ' ')}\n`);
				current = undefined;
			}
		},
		end() {
			throttle.cancel();
			if (current) io.progress.write('\n');
		},
	};
}

/** Progress as NDJSON: one line per row, and per file being hashed or copied at most one a second. */
function ndjsonProgress(io: ImportIo) {
	let last = 0;
	let lastId = '';
	const line = (fields: Record<string, unknown>) => io.progress.write(`${jsonText({ts: new Date().toISOString(), level: 'info', ...fields})}\n`);
	return {
		progress(event: ImportProgressEvent) {
			const now = Date.now();
			if (event.isomanId === lastId && now - last < 1000 && event.done < event.total) return;
			last = now;
			lastId = event.isomanId;
			line({event: 'import.progress', isoman_id: event.isomanId, file_path: event.filePath, phase: event.phase, method: event.method, done_bytes: event.done, total_bytes: event.total});
		},
		row(result: RowResult) {
			line({event: 'import.row', ...rowJson(result)});
		},
		end() {},
	};
}

export async function runImport(args: string[], flags: ImportFlags, config: Config, log: Logger, io: ImportIo): Promise<number> {
	if (args.length !== 1) {
		io.err(`isoman: invalid ISOMan data directory: import takes exactly one, the directory that holds ISOMan's db/isos.db and isos/ (got ${args.length})`);
		return 2;
	}

	const display = io.progress.isTTY ? terminalProgress(io) : ndjsonProgress(io);
	const controller = new AbortController();
	const stop = () => controller.abort(new Error('interrupted'));
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	try {
		const report = await importIsoman({
			config,
			log,
			source: args[0]!,
			move: flags.move,
			dryRun: flags.dryRun,
			signal: controller.signal,
			onProgress: event => display.progress(event),
			onRow: result => display.row(result),
			onWait: holder => io.err(`isoman: waiting for isoman ${holder.role} pid ${holder.pid} to finish…`),
		});
		display.end();
		io.out(flags.json ? jsonText(reportJson(report), 2) : humanReport(report));
		return report.exitCode;
	} catch (error) {
		display.end();
		if (error instanceof SourceError) {
			io.err(`isoman: invalid ${error.message}`);
			return 2;
		}

		if (error instanceof ImportLockedError) {
			io.err(`isoman: ${error.message}`);
			return 1;
		}

		throw error;
	} finally {
		process.off('SIGINT', stop);
		process.off('SIGTERM', stop);
	}
}
