/**
 * The background daemon a TUI hands its library to (the quit dialog's "keep downloading", a lost terminal): the
 * same program with `--daemon` and every setting as this process resolved it — the server's too (`--listen`,
 * `--auth`, `--web-root`, `--cors-origin`), so the library is served as it was asked to be. Secrets (the API
 * token) go in its environment, never on its command line, which every local user can read (ps, /proc).
 * Without `--listen` it exits once its queue is done (nobody asked for a resident daemon); serving, it stays.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {settingsArgs, settingsEnv, type Config} from '../config.js';

export type HandOffCommand = {file: string; args: string[]; env: Record<string, string>};

export function handOffCommand(config: Config, cliPath: string, execPath = process.execPath): HandOffCommand {
	const idle = config.listen ? [] : ['--exit-when-idle'];
	return {file: execPath, args: [cliPath, '--daemon', ...idle, ...settingsArgs(config)], env: settingsEnv(config)};
}

/** Start it detached, its output appended to the library's log; returns its pid (0 when it could not start). */
export function startBackgroundDaemon(config: Config, cliPath: string): number {
	const {file, args, env} = handOffCommand(config, cliPath);
	const out = fs.openSync(config.logPath, 'a');
	try {
		const child = spawn(file, args, {detached: true, stdio: ['ignore', out, out], env: {...process.env, ...env}});
		child.unref();
		return child.pid ?? 0;
	} finally {
		fs.closeSync(out);
	}
}
