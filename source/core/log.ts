/**
 * Structured logger: one JSON object per line (`{"ts","level","event",…}`) or a plain text line.
 * Created once by the entry point and passed in; nothing imports a global logger.
 */
import fs from 'node:fs';
import {jsonText, redactUrlsIn} from './display-text.js';
import {O_NOFOLLOW, SymlinkError} from './safe-fs.js';
import type {LogLevel, Logger} from './types.js';

const ORDER: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40};

export type LogSink = (line: string) => void;

export type LoggerOptions = {
	level: LogLevel;
	format?: 'json' | 'text';
	sink: LogSink;
	now?: () => Date;
};

/** A field as logged: errors as {message, name, code}; passwords in URLs (in any string, nested too) as `***`. */
function errorFields(value: unknown, depth = 0): unknown {
	if (value instanceof Error) {
		const code = (value as NodeJS.ErrnoException).code;
		return {message: redactUrlsIn(value.message), name: value.name, ...(code ? {code} : {})};
	}

	if (typeof value === 'string') return redactUrlsIn(value);
	if (depth >= 4 || value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map(v => errorFields(v, depth + 1));
	if (Object.getPrototypeOf(value) !== Object.prototype) return value;
	return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, errorFields(v, depth + 1)]));
}

function textLine(record: Record<string, unknown>): string {
	const {ts, level, event, ...rest} = record;
	const extra = Object.entries(rest)
		.map(([k, v]) => `${k}=${jsonText(errorFields(v))}`)
		.join(' ');
	return `${String(ts)} ${String(level).toUpperCase().padEnd(5)} ${String(event)}${extra ? ' ' + extra : ''}`;
}

export function createLogger(options: LoggerOptions, bound: Record<string, unknown> = {}): Logger {
	const min = ORDER[options.level];
	const now = options.now ?? (() => new Date());
	const write = (level: LogLevel, event: string, fields?: Record<string, unknown>) => {
		if (ORDER[level] < min) return;
		const record: Record<string, unknown> = {ts: now().toISOString(), level, event};
		for (const [k, v] of Object.entries(bound)) record[k] = errorFields(v);
		for (const [k, v] of Object.entries(fields ?? {})) record[k] = errorFields(v);
		options.sink(options.format === 'text' ? textLine(record) : jsonText(record));
	};

	return {
		debug: (event, fields) => write('debug', event, fields),
		info: (event, fields) => write('info', event, fields),
		warn: (event, fields) => write('warn', event, fields),
		error: (event, fields) => write('error', event, fields),
		child: fields => createLogger(options, {...bound, ...fields}),
	};
}

/**
 * A sink appending synchronously to a file (so the last lines before a crash are on disk). Created 0600; a link
 * at its name is refused (O_NOFOLLOW: never appended through).
 */
export function fileSink(path: string): LogSink & {close(): void} {
	let fd: number;
	try {
		// eslint-disable-next-line no-bitwise
		fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | O_NOFOLLOW, 0o600);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new SymlinkError(path);
		throw error;
	}

	const sink = ((line: string) => {
		try {
			fs.writeSync(fd, line + '\n');
		} catch {
			// A full disk must not take the program down through its log.
		}
	}) as LogSink & {close(): void};
	sink.close = () => fs.closeSync(fd);
	return sink;
}

/** A logger that drops everything (tests and tools that do not care). */
export const silentLogger: Logger = createLogger({level: 'error', sink() {}});

/** A sink that keeps lines in memory (tests). */
export function memorySink(): LogSink & {lines: string[]; records(): Array<Record<string, unknown>>} {
	const lines: string[] = [];
	const sink = ((line: string) => {
		lines.push(line);
	}) as LogSink & {lines: string[]; records(): Array<Record<string, unknown>>};
	sink.lines = lines;
	sink.records = () => lines.map(l => JSON.parse(l) as Record<string, unknown>);
	return sink;
}
