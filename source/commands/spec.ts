/** Every subcommand and its flags, in one table: drives parsing checks and `--help`. */
import {settingsHelp} from '../config.js';

export type FlagSpec = {flag: string; value?: string; description: string; default?: string};
export type CommandSpec = {usage: string; description: string; flags: FlagSpec[]; exitCodes?: string};

const json: FlagSpec = {flag: '--json', description: 'Print JSON (the image object of the README) instead of a table', default: 'off'};
const help: FlagSpec = {flag: '--help', description: 'Show this help', default: 'off'};

/** One help line: the flag, what it does, its default (and the environment variable, for settings). */
function flagLine(f: FlagSpec): string {
	const left = `  ${f.flag}${f.value ? ' ' + f.value : ''}`;
	return `${left.padEnd(28)} ${f.description}${f.default ? ` (default: ${f.default})` : ''}`;
}

const idCommand = (verb: string, description: string): CommandSpec => ({
	usage: `isoman ${verb} <id>...`,
	description: `${description} Ids may be shortened to a unique prefix. With a daemon running, the daemon carries it out.`,
	flags: [],
	exitCodes: '0 done; 1 not possible in the image\'s state, or the daemon did not carry it out; 2 unknown or ambiguous id.',
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
			{
				flag: '--type',
				value: 'T',
				description: 'Image type (iso, qcow2, img, raw, vmdk, vdi, vhd, vhdx; .xz .gz .zst .bz2) for a URL that names no file (…/download?id=42)',
				default: "from the URL, else the file name its server gives",
			},
			{flag: '--checksum-url', value: 'U', description: "Publisher's checksum file (SHA256SUMS, CHECKSUM, .sha256 …)", default: 'none'},
			{flag: '--checksum', value: '[ALG:]HEX', description: 'Expected digest', default: 'none'},
			{flag: '--checksum-type', value: 'ALG', description: 'md5, sha1, sha224, sha256, sha384, sha512 or blake2b512', default: 'from the digest or checksum file'},
			{flag: '--max-rate', value: 'RATE', description: "This image's bandwidth limit (500K, 2M, 1G; K = 1024; 0 = none); the global --max-rate applies too", default: 'none'},
			{flag: '--signature-url', value: 'U', description: 'Detached OpenPGP signature (.gpg/.sign/.asc) over the checksum file, or over the image without one', default: 'none (a clear-signed checksum file is checked anyway)'},
			{flag: '--key', value: 'FINGERPRINT', description: 'Accept only this keyring key or its subkeys (a unique prefix works)', default: 'any key in the keyring'},
			json,
		],
		exitCodes: '0 added (the id is printed); 2 invalid input (the field is named); 3 already in the library (the existing id is printed).',
	},
	key: {
		usage: 'isoman key add FILE|URL | key list [--json] | key remove FINGERPRINT',
		description:
			"The keyring of publishers' OpenPGP keys (<data>/keys/) that signatures are checked against. add: read a public key (armored or binary; a file or an http(s) URL; a KEYS file of several keys works) and store it; prints its fingerprint and user IDs. Secret, revoked, expired keys and keys that cannot sign are refused. remove: a unique fingerprint prefix works.",
		flags: [{flag: '--json', description: 'key list: print JSON', default: 'off'}],
		exitCodes: '0 done; 1 the URL could not be fetched; 2 invalid input (nothing usable in the key file, unknown fingerprint).',
	},
	list: {usage: 'isoman list [--json]', description: 'List the library.', flags: [json]},
	show: {usage: 'isoman show <id> [--json]', description: 'Show one image with its recent history.', flags: [json], exitCodes: '0 shown; 2 unknown or ambiguous id.'},
	pause: idCommand('pause', 'Pause downloads (partial data is kept).'),
	resume: idCommand('resume', 'Resume paused downloads.'),
	cancel: idCommand('cancel', 'Cancel downloads and delete their partial data.'),
	retry: idCommand('retry', 'Queue failed or missing images again.'),
	remove: idCommand('remove', 'Remove images from the library and delete their files.'),
	import: {
		usage: 'isoman import ISOMAN_DATA_DIR [--move] [--dry-run] [--json]',
		description:
			"Bring an ISOMan library into this one. ISOMAN_DATA_DIR is ISOMan's data directory (it holds db/isos.db and isos/), not this library's --data-dir: complete images by hard link (same file system) or copy, each hashed once and checked against ISOMan's checksum, with their dates and download history; missing files, queued and failed images as rows. ISOMan's side is only read unless --move. Safe to interrupt and to run again: nothing is imported twice. Progress goes to stderr (a bar per file on a terminal, NDJSON otherwise), the report to stdout. Stop a daemon running this library first.",
		flags: [
			{flag: '--move', description: "Remove each of ISOMan's image files once isoman's copy is committed (a hard link on one file system: no copying)", default: 'off'},
			{flag: '--dry-run', description: 'Print the report of what would be done (files are hashed, read-only); change nothing', default: 'off'},
			{flag: '--json', description: 'Print the report as one JSON object', default: 'off'},
		],
		exitCodes: '0 every row imported or already there; 1 any row not imported (the report says why), or a daemon runs the library; 2 not an ISOMan data directory.',
	},
	edit: {
		usage: 'isoman edit <id> [flags]',
		description:
			'Change an image. A complete image can get a new name, version, arch or edition: its file and sidecar move to the new path (crash-safe). A failed or paused image can also get new URLs: it is queued again (a paused one resumes only if the new URL serves the same file). Other states are refused. Carried out at once, also while a daemon runs.',
		flags: [
			{flag: '--name', value: 'N', description: 'New OS name (normalised)', default: 'unchanged'},
			{flag: '--version', value: 'V', description: 'New version', default: 'unchanged'},
			{flag: '--arch', value: 'A', description: 'New architecture', default: 'unchanged'},
			{flag: '--edition', value: 'E', description: 'New edition ("" for none)', default: 'unchanged'},
			{flag: '--url', value: 'U', description: 'New download URL (failed or paused images)', default: 'unchanged'},
			{flag: '--checksum-url', value: 'U', description: 'New checksum file URL ("" for none)', default: 'unchanged'},
			{flag: '--checksum', value: '[ALG:]HEX', description: 'New expected digest', default: 'unchanged'},
			{flag: '--checksum-type', value: 'ALG', description: 'Algorithm of the checksum', default: 'unchanged'},
			json,
		],
		exitCodes: '0 changed (or nothing to change); 1 not possible in the image\'s state; 2 invalid input or unknown id; 3 another image already has that identity (its id is printed).',
	},
	stats: {
		usage: 'isoman stats [--json]',
		description: 'Library statistics: images by state, storage used and free, downloads served, bandwidth saved, the most downloaded images, and downloads per day for the last 30 days.',
		flags: [{flag: '--json', description: 'Print the statistics as JSON (the fields of GET /api/stats, plus trends)', default: 'off'}],
	},
	limit: {
		usage: 'isoman limit [<id>] <rate>',
		description:
			"Set a bandwidth limit while downloads run: with an id, that image's own (kept in the catalogue); without, the global one for all downloads together (until isoman stops; --max-rate sets it at start). Rates as curl takes them: 500K, 2M, 1G (K = 1024); 0 = none. With a daemon running, the daemon applies it within a second, without restarting the transfer.",
		flags: [],
		exitCodes: '0 set; 1 nothing runs the downloads (global limit), or the daemon did not apply it; 2 invalid rate, unknown or ambiguous id.',
	},
	unlock: {
		usage: 'isoman unlock [--force]',
		description:
			'Remove the library lock when no running isoman holds it. A lock whose process is gone is removed (a start does that too); one taken on another host only with --force, as this host cannot check that process; a lock held by a running isoman here never.',
		flags: [{flag: '--force', description: 'Also break a lock taken on another host (if that isoman still runs, two downloaders would share the library)', default: 'off'}],
		exitCodes: '0 no lock, or removed; 1 held by a running isoman, or taken on another host without --force.',
	},
	status: {
		usage: 'isoman status [--json]',
		description: 'Who holds the library (daemon or TUI, pid, since when), how many images are active, queued, paused and failed, and where it is served.',
		flags: [{flag: '--json', description: 'Print JSON ({data_dir, holder, listening, images})', default: 'off'}],
		exitCodes: '0 a daemon or TUI holds the library; 1 nothing does (nothing downloads).',
	},
	stop: {
		usage: 'isoman stop',
		description: 'Stop the daemon that holds the library, gracefully (active downloads keep their partial data), and wait until it has exited.',
		flags: [],
		exitCodes: '0 stopped, or nothing was running; 1 still running after 15 s; 2 held by a TUI or by a process on another host.',
	},
	verify: {
		usage: 'isoman verify [<id>...]',
		description: 'Re-hash complete images (all of them when no id is given); corrupt ones become failed, vanished ones missing.',
		flags: [],
		exitCodes: '0 every file matches; 1 any corrupt or missing; 2 unknown or ambiguous id.',
	},
};

export const DAEMON_FLAGS: FlagSpec[] = [
	{flag: '--daemon', description: 'Run headless (no UI), NDJSON events on stdout; one downloader per library', default: 'off'},
	{flag: '--exit-when-idle', description: 'With --daemon: exit when nothing is pending or active: 0 if every image it processed completed, 1 if any failed', default: 'off'},
];

export function commandHelp(name: string): string {
	const spec = COMMANDS[name]!;
	const lines = [`Usage: ${spec.usage}`, '', spec.description, '', 'Flags:', ...[...spec.flags, help].map(flagLine)];
	// A command flag with a setting's name means the command's own thing there (add --max-rate: the image's limit).
	lines.push('', 'Global flags (also as ISOMAN_* environment variables):', ...settingsHelp(spec.flags.map(f => f.flag)), '');
	if (spec.exitCodes) lines.push(`Exit codes: ${spec.exitCodes}`, '');
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
		...DAEMON_FLAGS.map(flagLine),
		'',
		'Global flags (also as ISOMAN_* environment variables):',
		...settingsHelp(),
		'',
		'Other flags:',
		flagLine({flag: '--help', description: 'This help; `isoman <command> --help` for a command', default: 'off'}),
		flagLine({flag: '--version', description: 'Print the version', default: 'off'}),
		'',
		'Exit codes: 0 ok, 1 failure, 2 invalid input, 3 already exists.',
		'',
	].join('\n');
}
