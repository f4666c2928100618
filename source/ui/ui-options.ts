/** How the terminal and the link decide the look and the frame rate(issue 6 item 7). Pure. */
import type {Config} from '../config.js';

export type UiOptions = {
	/** Colours on (false with NO_COLOR / --no-color: bold and inverse stay). */
	color: boolean;
	/** ASCII bars, markers and borders (--ascii, or a locale that is not UTF-8). */
	ascii: boolean;
	/** Over SSH or --low-bandwidth: fewer frames, no spinners. */
	lowBandwidth: boolean;
	/** Ink's render throttle. */
	maxFps: number;
	/** How many library snapshots a second the store publishes at most. */
	snapshotsPerSecond: number;
	/** The same while nothing but live progress changed (over SSH: once a second). */
	progressPerSecond: number;
	spinners: boolean;
};

/** True when the locale environment says UTF-8 (LC_ALL, then LC_CTYPE, then LANG, as setlocale reads them). */
export function isUtf8Locale(env: NodeJS.ProcessEnv): boolean {
	const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find(value => value !== undefined && value !== '');
	return locale !== undefined && /utf-?8/i.test(locale);
}

function isSsh(env: NodeJS.ProcessEnv): boolean {
	return Boolean(env['SSH_CONNECTION'] || env['SSH_TTY']);
}

export function uiOptionsFrom(config: Pick<Config, 'noColor' | 'ascii' | 'lowBandwidth'>, env: NodeJS.ProcessEnv = process.env): UiOptions {
	const lowBandwidth = config.lowBandwidth || isSsh(env);
	return {
		color: !config.noColor,
		ascii: config.ascii || !isUtf8Locale(env),
		lowBandwidth,
		maxFps: lowBandwidth ? 8 : 20,
		snapshotsPerSecond: lowBandwidth ? 4 : 10,
		progressPerSecond: lowBandwidth ? 1 : 10,
		spinners: !lowBandwidth,
	};
}
