/** Every subcommand and its flags, in one table: drives parsing checks and `--help`. */
import {settingsHelp} from '../config.js';

export type FlagSpec = {flag: string; value?: string; description: string; default?: string};
export type CommandSpec = {usage: string; description: string; flags: FlagSpec[]};

const json: FlagSpec = {flag: '--json', description: 'Print JSON (the image object of the README) instead of a table'};

const idCommand = (verb: string, description: string): CommandSpec => ({
	usage: `isoman ${verb} <id>...`,
	description: `${description} Ids may be shortened to a unique prefix. With a daemon running, the daemon carries it out.`,
	flags: [],
});

export const COMMANDS: Record<string, CommandSpec> = {
	add: {
		usage: 'isoman add <url> [flags]',
		description: 'Add an image to the library (queued; a running daemon or TUI downloads it). Prints the new id.',
		flags: [
			{flag: '--name', value: 'N', description: 'OS name (normalised: "Alpine Linux" → alpine-linux)', default: 'from the file name'},
			{flag: '--version', value: 'V', description: 'Version', default: 'from the file name'},
			{flag: '--arch', value: 'A', description: 'Architecture', default: 'from the URL, else x86_64'},
			{flag: '--edition', value: 'E', description: 'Edition (netinst, server, …)', default: 'none'},
			{flag: '--checksum-url', value: 'U', description: "Publisher's checksum file (SHA256SUMS, CHECKSUM, .sha256 …)", default: 'none'},
			{flag: '--checksum', value: '[ALG:]HEX', description: 'Expected digest', default: 'none'},
			{flag: '--checksum-type', value: 'ALG', description: 'md5, sha1, sha224, sha256, sha384, sha512 or blake2b512', default: 'from the digest or checksum file'},
			json,
		],
	},
	list: {usage: 'isoman list [--json]', description: 'List the library.', flags: [json]},
	show: {usage: 'isoman show <id> [--json]', description: 'Show one image with its recent history.', flags: [json]},
	pause: idCommand('pause', 'Pause downloads (partial data is kept).'),
	resume: idCommand('resume', 'Resume paused downloads.'),
	cancel: idCommand('cancel', 'Cancel downloads and delete their partial data.'),
	retry: idCommand('retry', 'Queue failed or missing images again.'),
	remove: idCommand('remove', 'Remove images from the library and delete their files.'),
	verify: {
		usage: 'isoman verify [<id>...]',
		description: 'Re-hash complete images (all of them when no id is given); corrupt ones become failed, vanished ones missing.',
		flags: [],
	},
};

export function commandHelp(name: string): string {
	const spec = COMMANDS[name]!;
	const lines = [`Usage: ${spec.usage}`, '', spec.description];
	if (spec.flags.length > 0) {
		lines.push('', 'Flags:');
		for (const f of spec.flags) {
			const left = `  ${f.flag}${f.value ? ' ' + f.value : ''}`;
			lines.push(`${left.padEnd(28)} ${f.description}${f.default ? ` (default: ${f.default})` : ''}`);
		}
	}

	lines.push('', 'Global flags:', ...settingsHelp(), '');
	return lines.join('\n');
}

export function mainHelp(): string {
	return [
		'isoman: keep a library of OS images downloaded, verified and organised',
		'',
		'Usage:',
		'  isoman [flags]                     full-screen TUI (needs a terminal)',
		'  isoman --daemon [--exit-when-idle] headless worker: NDJSON events on stdout',
		...Object.values(COMMANDS).map(c => `  ${c.usage}`),
		'',
		'Daemon flags:',
		'  --daemon                     Run headless (no UI); one per library',
		'  --exit-when-idle             With --daemon: exit 0 when the queue is done, 1 if any image failed',
		'',
		'Global flags:',
		...settingsHelp(),
		'  --help                       This help; `isoman <command> --help` for a command',
		'  --version                    Print the version',
		'',
		'Exit codes: 0 ok, 1 failure, 2 invalid input, 3 already exists.',
		'',
	].join('\n');
}
