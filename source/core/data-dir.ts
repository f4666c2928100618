/**
 * Checks the data directory before anything opens it, so a wrong `--data-dir` gets one clear line instead of a
 * stack trace, a busy loop (recursive mkdir under /proc never ends) or a new empty library:
 * - a path that exists must be a directory on a real file system (not /proc, /sys, /dev);
 * - only the front ends that may start a library (TUI, daemon, `add`) create it; the others need one there;
 * - creating walks up to the nearest existing directory and makes each missing level itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import {SymlinkError} from './safe-fs.js';

export class DataDirError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DataDirError';
	}
}

/** statfs magic numbers of file systems that hold no files of ours. */
const VIRTUAL_FILE_SYSTEMS = new Map<number, string>([
	[0x9f_a0, 'proc'],
	[0x62_65_65_72, 'sysfs'],
	[0x01_02_19_94, 'tmpfs/devtmpfs'],
	[0x64_62_67_20, 'debugfs'],
	[0x27_e0_eb, 'cgroup'],
	[0x63_67_72_70, 'cgroup2'],
]);

function virtualFileSystem(dir: string): string | undefined {
	try {
		const {type} = fs.statfsSync(dir);
		const name = VIRTUAL_FILE_SYSTEMS.get(Number(type));
		// tmpfs is a real place for a library (tests, /tmp); devtmpfs shares its magic number, so look at the path.
		if (name === 'tmpfs/devtmpfs') return dir === '/dev' || dir.startsWith('/dev/') ? 'devtmpfs' : undefined;
		return name;
	} catch {
		return undefined;
	}
}

const reason = (error: unknown) => {
	const e = error as NodeJS.ErrnoException;
	return e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : String(error);
};

function statOrUndefined(p: string): fs.Stats | undefined {
	try {
		return fs.statSync(p);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new DataDirError(`cannot use the data directory ${p}: ${reason(error)}`);
	}
}

function checkDirectory(dir: string, stat: fs.Stats): void {
	if (!stat.isDirectory()) throw new DataDirError(`the data directory ${dir} is not a directory (it is ${stat.isFile() ? 'a file' : 'a special file'}); choose another with --data-dir or ISOMAN_DATA_DIR`);
	const virtual = virtualFileSystem(dir);
	if (virtual) throw new DataDirError(`the data directory ${dir} is on the ${virtual} virtual file system, which cannot hold a library; choose another with --data-dir or ISOMAN_DATA_DIR`);
}

/** Make `dir` and any missing parents, one level at a time (never loops), after checking the nearest existing one. */
function makeDirectory(dir: string): void {
	const missing: string[] = [];
	let current = dir;
	let stat = statOrUndefined(current);
	while (!stat) {
		missing.unshift(current);
		const parent = path.dirname(current);
		if (parent === current) break;
		current = parent;
		stat = statOrUndefined(current);
	}

	if (stat) checkDirectory(current, stat);
	for (const level of missing) {
		try {
			fs.mkdirSync(level);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(level)?.isDirectory()) continue;
			throw new DataDirError(`cannot create the data directory ${dir}: ${reason(error)} at ${level}`);
		}
	}
}

/**
 * Check (and with `create`, make) the data directory. Returns whether the catalogue (`databaseFile`) is there:
 * without `create`, an existing directory without one is an empty library that nothing may write into.
 */
export function prepareDataDir(dir: string, options: {create: boolean; databaseFile: string; links?: readonly string[]}): boolean {
	const stat = statOrUndefined(dir);
	if (!stat) {
		if (!options.create) throw new DataDirError(`no library at ${dir} (the directory does not exist); check --data-dir or ISOMAN_DATA_DIR, or add an image first`);
		makeDirectory(dir);
	} else {
		checkDirectory(dir, stat);
	}

	// A link where the library keeps its own files is refused first, whatever the command (SymlinkError names it).
	for (const file of options.links ?? []) {
		if (fs.lstatSync(file, {throwIfNoEntry: false})?.isSymbolicLink()) throw new SymlinkError(file);
	}

	if (!options.create) return fs.existsSync(path.join(dir, options.databaseFile));
	// Writability is not checked here: a read-only library still answers (the catalogue says what it cannot do).
	return true;
}

/** The error of a command that needs a catalogue where the directory has none. */
export function noLibraryError(dir: string, databaseFile: string): DataDirError {
	return new DataDirError(`no library at ${dir} (no ${databaseFile} there); check --data-dir or ISOMAN_DATA_DIR, or add an image first`);
}
