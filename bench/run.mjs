#!/usr/bin/env node
/**
 * isoman benchmarks (issue 8): isoman beside curl, sha256sum, aria2c and the machine's own limits, measured in one
 * run on loopback. `npm run bench` (builds first), or `node bench/run.mjs [flags]` after `npm run build`.
 *
 *   --quick             smoke check: 256 MiB, 1 run, 4 × 64 MiB, 5 s TUI windows
 *   --size-mib N        the big file (default 2048)            BENCH_SIZE_MIB
 *   --small-mib N       each of the 4 concurrent files (512)   BENCH_SMALL_MIB
 *   --runs N            repetitions of each measurement (3)    BENCH_RUNS
 *   --tui-seconds N     TUI measurement window (20)            BENCH_TUI_SECONDS
 *   --catalogue N       images for the catalogue-scale test    BENCH_CATALOGUE (10000)
 *   --only 1,2,…        run only these items (1–9)             BENCH_ONLY
 *   --keep              keep generated files and the scratch libraries (bench/data/)
 *   --out FILE          write the report here instead of bench/results/<date>.md
 *
 * Generated data lives in bench/data/ (git-ignored). The report (one table, plus notes and what was skipped)
 * is printed and written to bench/results/<date>.md (<date>-quick.md for --quick).
 */
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {seedCatalogue, seedName} from './lib/catalogue.mjs';
import {ensureIso, warmRead, warmWrite} from './lib/datafile.mjs';
import {hashHotBuffer} from './lib/hash-hot.mjs';
import {startNginx} from './lib/nginx.mjs';
import {ptyAvailable, startInPty} from './lib/pty.mjs';
import {startNodeServer} from './lib/server.mjs';
import {
	MiB,
	bytesText,
	clockTicks,
	fmt,
	freeBytes,
	gbps,
	gnuTime,
	machineInfo,
	markdownTable,
	measure,
	median,
	procCpuSeconds,
	procPeakRssKiB,
	sleep,
	summary,
	toolVersion,
	which,
} from './lib/util.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The build under test: a private copy of dist/ (see snapshotBuild), so a rebuild mid-run cannot change it. */
// The package's bin (bin.ts), as a user runs it.
let CLI = path.join(ROOT, 'dist', 'bin.js');
let TUI_MODULE = path.join(ROOT, 'dist', 'ui', 'run-tui.js');
const DATA = path.join(ROOT, 'bench', 'data');
const RESULTS = path.join(ROOT, 'bench', 'results');
/** How long the machine is left idle before the "cold pages" dd row. */
const COLD_IDLE_MS = 15_000;

// ---------------------------------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
	const env = process.env;
	const flag = name => argv.includes(name);
	const value = name => {
		const i = argv.findIndex(a => a === name || a.startsWith(name + '='));
		if (i < 0) return undefined;
		return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
	};

	const quick = flag('--quick') || env.BENCH_QUICK === '1';
	const num = (name, envName, def, quickDef) => {
		const raw = value(name) ?? env[envName];
		const n = raw === undefined ? (quick ? quickDef : def) : Number(raw);
		if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} / ${envName} must be a positive number (got ${raw})`);
		return n;
	};

	const only = (value('--only') ?? env.BENCH_ONLY ?? '1,2,3,4,5,6,7,8,9')
		.split(',')
		.map(s => Number(s.trim()))
		.filter(n => n >= 1 && n <= 9);
	return {
		quick,
		sizeMiB: Math.floor(num('--size-mib', 'BENCH_SIZE_MIB', 2048, 256)),
		smallMiB: Math.floor(num('--small-mib', 'BENCH_SMALL_MIB', 512, 64)),
		runs: Math.floor(num('--runs', 'BENCH_RUNS', 3, 1)),
		tuiSeconds: num('--tui-seconds', 'BENCH_TUI_SECONDS', 20, 5),
		catalogue: Math.floor(num('--catalogue', 'BENCH_CATALOGUE', 10_000, 10_000)),
		only: new Set(only),
		keep: flag('--keep') || env.BENCH_KEEP === '1',
		out: value('--out'),
	};
}

// ---------------------------------------------------------------------------------------------------------------------
// Report

const rows = [];
const notes = [];
const skipped = [];

const say = text => process.stderr.write(`[bench] ${text}\n`);
const skip = (item, what, why) => {
	skipped.push({item, what, why});
	say(`skipped (${item}) ${what}: ${why}`);
};

const note = (item, text) => notes.push({item, text});

/**
 * One table row. `values` are per-run numbers; `target` is text; `check(median)` true/false decides the verdict.
 */
function row(item, label, unit, values, {target = '', check, digits = 2, detail = ''} = {}) {
	const s = summary(values);
	const verdict = check && Number.isFinite(s.median) ? (check(s.median) ? 'met' : 'MISSED') : '';
	rows.push({item, label, unit, s, target, verdict, digits, detail});
	say(`(${item}) ${label}: ${fmt(s.median, digits)} ${unit} [${fmt(s.min, digits)}–${fmt(s.max, digits)}] n=${s.n}${verdict ? ` → ${verdict}` : ''}`);
}

function reportMarkdown(options, context) {
	const m = machineInfo();
	const date = new Date();
	const header = ['#', 'Measurement', 'Median', 'Min–max', 'Unit', 'n', 'Target', 'Result'];
	const table = markdownTable(
		header,
		rows.map(r => [
			String(r.item),
			r.label,
			fmt(r.s.median, r.digits),
			r.s.n > 1 ? `${fmt(r.s.min, r.digits)}–${fmt(r.s.max, r.digits)}` : '',
			r.unit,
			String(r.s.n),
			r.target,
			r.verdict,
		]),
	);
	const lines = [
		`# isoman benchmarks — ${date.toISOString().slice(0, 10)}${options.quick ? ' (quick)' : ''}`,
		'',
		`- When: ${date.toISOString()}`,
		`- CPU: ${m.cpu}, ${m.cores} cores (${m.hypervisor})`,
		`- Memory: ${m.memory}; ${m.kernel}; file system ${m.filesystem}`,
		`- Node: ${m.node}; isoman ${context.isomanVersion}`,
		`- Sizes: big file ${bytesText(options.sizeMiB * MiB)}, concurrent files 4 × ${bytesText(options.smallMiB * MiB)}; ${options.runs} run(s) each; TUI window ${options.tuiSeconds} s; catalogue ${options.catalogue.toLocaleString('en-US')} images`,
		`- Server (same for every client): ${context.serverKind ?? 'none'}${context.throttleKind ? `; throttled transfers: ${context.throttleKind}` : ''}`,
		`- Tools: ${context.tools.join('; ')}`,
		`- Load average (1 min) at start / end: ${context.loadStart} / ${os.loadavg()[0].toFixed(2)} (other work on the machine shows here)`,
		`- CPU time and peak RSS: ${gnuTime ? 'GNU time (%U+%S, %M)' : 'polled from /proc (VmHWM, utime+stime) every 100 ms'}`,
		`- Took: ${fmt((performance.now() - context.began) / 60_000, 1)} min in all (item: seconds — ${context.took.join(', ')})`,
		'',
		'Rates are decimal (1 GB/s = 10^9 bytes/s, 1 KB = 1000 bytes, 1 MB = 10^6 bytes). Throughput rows: file size ÷ wall time of',
		'the whole command, process start-up included. Ratio rows are computed per round (a round runs every tool once, back',
		'to back) and then summarised. The order of the tools rotates every round; every tool reads a source file already in',
		'the page cache and writes into the same file system, right after the same amount was written and deleted (hot pages).',
		'',
		table,
		'',
	];
	if (notes.length > 0) {
		lines.push('## Notes', '');
		for (const n of notes) lines.push(`- (${n.item}) ${n.text}`);
		lines.push('');
	}

	lines.push('## Skipped', '');
	if (skipped.length === 0) lines.push('- nothing');
	for (const s of skipped) lines.push(`- (${s.item}) ${s.what}: ${s.why}`);
	lines.push('', `Command: \`node bench/run.mjs ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'), '');
	return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------------
// isoman as a program

function isomanEnv(extra = {}) {
	const env = {...process.env, ...extra};
	for (const key of Object.keys(env)) {
		if (key.startsWith('ISOMAN_') || key === 'SSH_CONNECTION' || key === 'SSH_TTY' || key === 'NO_COLOR') delete env[key];
	}

	return env;
}

function isomanSync(args, {allowFail = false} = {}) {
	const r = spawnSync(process.execPath, [CLI, ...args], {cwd: ROOT, env: isomanEnv(), encoding: 'utf8', maxBuffer: 256 * MiB});
	if (r.status !== 0 && !allowFail) throw new Error(`isoman ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
	return r;
}

function addImage(dataDir, url, version, sha256) {
	return isomanSync(['add', url, '--name', 'bench', '--version', version, '--checksum', `sha256:${sha256}`, '--data-dir', dataDir]).stdout.trim();
}

/** An empty library: read-only commands such as `list` never create one, a daemon that exits when idle does. */
function createLibrary(dataDir) {
	return isomanSync(['--daemon', '--exit-when-idle', '--data-dir', dataDir]);
}

function listJson(dataDir) {
	return JSON.parse(isomanSync(['list', '--json', '--data-dir', dataDir]).stdout);
}

/** Throws unless every image in the library is complete with the expected sha256. */
function assertComplete(dataDir, sha256) {
	for (const image of listJson(dataDir)) {
		if (image.status !== 'complete' || image.checksum !== sha256) {
			throw new Error(`image ${image.id} ended ${image.status} (${image.error_code ?? ''} ${image.error_message ?? ''}) checksum ${image.checksum}`);
		}
	}
}

function daemon(dataDir, extra = [], opts = {}) {
	return measure(process.execPath, [CLI, '--daemon', '--exit-when-idle', '--data-dir', dataDir, ...extra], {cwd: ROOT, env: isomanEnv(), ...opts});
}

/** `commit abc1234` plus whether source/ had uncommitted changes when dist/ was copied. */
function gitDescription() {
	const git = args => spawnSync('git', args, {cwd: ROOT, encoding: 'utf8'});
	const head = git(['rev-parse', '--short', 'HEAD']);
	if (head.status !== 0) return 'not a git checkout';
	const dirty = git(['status', '--porcelain', '--', 'source']).stdout.trim();
	return `commit ${head.stdout.trim()}${dirty ? ', with uncommitted changes in source/' : ''}; dist/ as built when the run began`;
}

/**
 * Copies dist/ and package.json into the scratch directory and runs isoman from there for the whole run: other
 * people rebuild dist/ while they work (\`npm test\` builds), and a benchmark must not switch binaries halfway.
 * Modules still resolve from the repository's node_modules (Node walks up from bench/data/run-*\/app/dist).
 */
function snapshotBuild(work) {
	const app = path.join(work, 'app');
	fs.mkdirSync(app, {recursive: true});
	fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
	fs.cpSync(path.join(ROOT, 'dist'), path.join(app, 'dist'), {recursive: true, filter: src => !src.endsWith('.map')});
	CLI = path.join(app, 'dist', 'bin.js');
	TUI_MODULE = path.join(app, 'dist', 'ui', 'run-tui.js');
}

// ---------------------------------------------------------------------------------------------------------------------

async function main() {
	const options = parseOptions(process.argv.slice(2));
	if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (or \`npm run bench\`, which builds)`);
	fs.mkdirSync(DATA, {recursive: true});
	const work = fs.mkdtempSync(path.join(DATA, 'run-'));
	snapshotBuild(work);
	const out = path.join(work, 'out');
	fs.mkdirSync(out);
	const context = {tools: [], isomanVersion: `${isomanSync(['--version']).stdout.trim()} (${gitDescription()})`, loadStart: os.loadavg()[0].toFixed(2), began: performance.now(), took: []};
	const servers = [];
	const cleanup = async () => {
		for (const s of servers) await s.stop().catch(() => undefined);
		if (!options.keep) fs.rmSync(work, {recursive: true, force: true});
	};

	process.once('SIGINT', () => {
		void cleanup().finally(() => process.exit(130));
	});

	try {
		// ---- disk space ----
		const free = freeBytes(DATA);
		const need = size => (size * 3 + options.smallMiB * 5) * MiB + 1024 * MiB;
		if (free < need(options.sizeMiB)) {
			let size = options.sizeMiB;
			while (size > 64 && free < need(size)) size = Math.floor(size / 2);
			note('all', `only ${bytesText(free)} free in ${DATA}: big file scaled down from ${options.sizeMiB} MiB to ${size} MiB`);
			say(`low disk space: big file scaled down to ${size} MiB`);
			options.sizeMiB = size;
		}

		// ---- tools ----
		const curl = which('curl');
		const aria2c = which('aria2c');
		const has = name => Boolean(which(name));
		context.tools.push(curl ? toolVersion('curl').split(' ').slice(0, 2).join(' ') : 'curl: not installed');
		context.tools.push(aria2c ? toolVersion('aria2c') : 'aria2c: not installed');
		context.tools.push(has('sha256sum') ? toolVersion('sha256sum').replace(/^sha256sum /, 'coreutils ') : 'coreutils: not installed');

		// ---- data ----
		const big = await ensureIso(DATA, options.sizeMiB, say);
		const small = await ensureIso(DATA, options.smallMiB, say);
		// One name per concurrent download, each a symlink to the same file (small: item 3; big: item 8).
		for (const file of [small, big]) {
			for (let i = 1; i <= 4; i++) {
				const link = path.join(DATA, `${path.basename(file.file, '.iso')}-${i}.iso`);
				fs.rmSync(link, {force: true});
				fs.symlinkSync(path.basename(file.file), link);
			}
		}

		say('warming the page cache (sources read, scratch written and deleted)…');
		warmRead(big.file);
		warmRead(small.file);
		warmWrite(out, Math.max(big.size, small.size * 4) * 2);

		// ---- server ----
		let server = await startNginx(DATA, work);
		if (server.skipped) {
			skip('1–4', 'nginx as the server', `${server.skipped}; using the bench's node:http server instead`);
			server = await startNodeServer(DATA);
		}

		servers.push(server);
		context.serverKind = server.kind;
		context.throttleKind = 'the same server, ?bps=N (nginx limit_rate / node token bucket)';
		const url = name => `${server.origin}/${name}`;
		const bigUrl = url(path.basename(big.file));

		const items = [
			[1, () => benchDownload(options, {big, bigUrl, curl, aria2c, out, work})],
			[2, () => benchHash(options, {big, work})],
			[3, () => benchConcurrency(options, {big, small, url, curl, out, work})],
			[4, () => benchResume(options, {big, bigUrl, work})],
			[5, () => benchTui(options, {small, url, work})],
			[6, () => benchCatalogue(options, {work, origin: server.origin})],
			[7, () => benchServing(options, {big, bigUrl, curl, server, work})],
			[8, () => benchTuiUnderLoad(options, {big, url, curl, out, work})],
			[9, () => benchLimit(options, {big, small, url, work})],
		];
		for (const [item, run] of items) {
			if (!options.only.has(item)) continue;
			say(`---- item ${item} ----`);
			const began = performance.now();
			try {
				await run();
			} catch (error) {
				skip(item, 'the rest of this item', `failed: ${error instanceof Error ? error.message : String(error)}`);
				if (process.env.BENCH_DEBUG) console.error(error);
			}

			context.took.push(`${item}: ${Math.round((performance.now() - began) / 1000)} s`);
		}
	} finally {
		await cleanup();
		if (!options.keep) {
			for (const f of fs.readdirSync(DATA)) {
				if (/^bench-\d+MiB(-\d+)?\.iso(\.json)?$/.test(f)) fs.rmSync(path.join(DATA, f), {force: true});
			}
		}
	}

	const report = reportMarkdown(options, context);
	process.stdout.write('\n' + report + '\n');
	fs.mkdirSync(RESULTS, {recursive: true});
	const file = options.out ?? path.join(RESULTS, `${new Date().toISOString().slice(0, 10)}${options.quick ? '-quick' : ''}.md`);
	fs.writeFileSync(`${file}.tmp`, report);
	fs.renameSync(`${file}.tmp`, file);
	say(`report written to ${path.relative(process.cwd(), file) || file}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// 1. Download + verify throughput

/** State shared between items: the isoman library of item 1's last run (re-verified in item 2), item 1 medians. */
const shared = {};

async function benchDownload(options, {big, bigUrl, curl, aria2c, out, work}) {
	const item = 1;
	const target = path.join(out, 'download.iso');
	const size = big.size;
	const runs = [];
	if (!curl) skip(item, 'curl rows', 'curl not installed');
	if (!aria2c) skip(item, 'aria2c row', 'aria2c not installed');
	const dd = which('dd');
	const sync = which('sync');
	const sha256sum = which('sha256sum');
	if (!sha256sum) skip(item, 'curl + sha256sum row', 'sha256sum not installed');
	const results = {};
	const push = (key, value) => (results[key] ??= []).push(value);
	const ok = r => r.code === 0;

	const tools = [];
	if (dd) {
		tools.push([
			'dd-write',
			async () => {
				const r = await measure(dd, ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${size / MiB}`], {scratch: work});
				return ok(r) && r;
			},
		]);
		tools.push([
			'dd-write-cold',
			async () => {
				const r = await measure(dd, ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${size / MiB}`], {scratch: work});
				return ok(r) && r;
			},
		]);
		tools.push([
			'dd-write-fsync',
			async () => {
				const r = await measure(dd, ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${size / MiB}`, 'conv=fsync'], {scratch: work});
				return ok(r) && r;
			},
		]);
	} else skip(item, 'disk-write limit rows', 'dd not installed');

	if (curl) {
		const c = ['-sS', '--fail'];
		tools.push(['curl-null', async () => measureOk(curl, [...c, '-o', '/dev/null', bigUrl])]);
		tools.push(['curl', async () => measureOk(curl, [...c, '-o', target, bigUrl])]);
		if (sync) tools.push(['curl-fsync', async () => measureOk('sh', ['-c', `"$0" ${c.join(' ')} -o "$1" "$2" && sync "$1"`, curl, target, bigUrl])]);
		if (sha256sum) {
			tools.push([
				'curl-sha256sum',
				async () => {
					const r = await measure('sh', ['-c', `"$0" ${c.join(' ')} -o "$1" "$2" && "$3" "$1"`, curl, target, bigUrl, sha256sum], {scratch: work, captureStdout: true});
					if (!ok(r) || !r.stdout.startsWith(big.sha256)) throw new Error(`curl + sha256sum: ${r.stderr.trim() || r.stdout.trim()}`);
					return r;
				},
			]);
		}
	}

	if (aria2c) {
		const a = ['-q', '--allow-overwrite=true', '--auto-file-renaming=false', '--file-allocation=none', '-x1', '-s1', '-d', out, '-o', 'download.iso'];
		tools.push(['aria2c', async () => measureOk(aria2c, [...a, bigUrl])]);
		tools.push(['aria2c-checksum', async () => measureOk(aria2c, [...a, `--checksum=sha-256=${big.sha256}`, bigUrl])]);
	}

	let lastLibrary;
	tools.push([
		'isoman',
		async () => {
			const dataDir = path.join(work, `lib-1-${runs.length}-${Math.random().toString(36).slice(2, 8)}`);
			addImage(dataDir, bigUrl, 'r1', big.sha256);
			const r = await daemon(dataDir, [], {scratch: work});
			if (r.code !== 0) throw new Error(`isoman daemon exited ${r.code}: ${r.stderr.trim()}`);
			assertComplete(dataDir, big.sha256);
			if (lastLibrary) fs.rmSync(lastLibrary, {recursive: true, force: true});
			lastLibrary = dataDir;
			return r;
		},
	]);

	async function measureOk(cmd, args) {
		const r = await measure(cmd, args, {scratch: work});
		if (!ok(r)) throw new Error(`${path.basename(cmd)} exited ${r.code}: ${r.stderr.trim()}`);
		return r;
	}

	for (let round = 0; round < options.runs; round++) {
		const order = tools.map((_, i) => tools[(i + round) % tools.length]);
		const per = {};
		for (const [key, run] of order) {
			fs.rmSync(target, {force: true});
			// Hot pages for every tool alike (see the note on the VM's page reporting); the cold row waits instead.
			if (key === 'dd-write-cold') await sleep(COLD_IDLE_MS);
			else warmWrite(out, size);
			const r = await run();
			fs.rmSync(target, {force: true});
			if (!r) throw new Error(`${key} failed`);
			per[key] = r;
			push(key, r);
			say(`  round ${round + 1}: ${key} ${fmt(gbps(size, r.ms))} GB/s, CPU ${fmt(r.cpuS)} s, RSS ${fmt(r.peakRssKiB / 1000, 0)} MB`);
		}

		runs.push(per);
	}

	shared.verifyLibrary = lastLibrary;
	const rate = key => (results[key] ?? []).map(r => gbps(size, r.ms));
	const sizeText = bytesText(size);
	if (results['curl-null']) row(item, `loopback limit: curl -o /dev/null (${sizeText})`, 'GB/s', rate('curl-null'));
	if (results['dd-write']) row(item, `disk limit: dd bs=1M to a new file (page cache)`, 'GB/s', rate('dd-write'));
	if (results['dd-write-cold']) row(item, `disk limit: the same dd after ${COLD_IDLE_MS / 1000} s idle (cold pages)`, 'GB/s', rate('dd-write-cold'));
	if (results['dd-write-fsync']) row(item, `disk limit: dd … conv=fsync (durable)`, 'GB/s', rate('dd-write-fsync'));
	if (results.curl) row(item, `curl -o FILE`, 'GB/s', rate('curl'));
	if (results['curl-fsync']) row(item, `curl -o FILE, then sync FILE (durable, like isoman)`, 'GB/s', rate('curl-fsync'));
	if (results['curl-sha256sum']) row(item, `curl -o FILE, then sha256sum FILE`, 'GB/s', rate('curl-sha256sum'));
	if (results.aria2c) row(item, `aria2c -x1 (download only)`, 'GB/s', rate('aria2c'));
	if (results['aria2c-checksum']) row(item, `aria2c -x1 --checksum=sha-256 (download + verify)`, 'GB/s', rate('aria2c-checksum'));
	row(item, `isoman daemon --exit-when-idle, sha256 given (end to end)`, 'GB/s', rate('isoman'));
	shared.cleanMs = results.isoman.map(r => r.ms);
	shared.bigRss = results.isoman.map(r => r.peakRssKiB);
	const ratio = (a, b) => runs.filter(p => p[a] && p[b]).map(p => p[b].ms / p[a].ms);
	if (results.curl) {
		row(item, 'ratio isoman / curl -o', '×', ratio('isoman', 'curl'), {target: '≥ 0.9', check: x => x >= 0.9});
	}

	if (results['curl-sha256sum']) {
		row(item, 'ratio isoman / (curl -o + sha256sum)', '×', ratio('isoman', 'curl-sha256sum'), {target: '> 1', check: x => x > 1});
	}

	if (results['curl-fsync']) row(item, 'ratio isoman / (curl -o + sync)', '×', ratio('isoman', 'curl-fsync'));
	if (results.curl && results['dd-write-fsync']) {
		// The limit a download can reach: the lower of the network path and the durable disk (the slower time).
		const limitRatio = runs.filter(p => p.isoman && p.curl && p['dd-write-fsync']).map(p => Math.max(p.curl.ms, p['dd-write-fsync'].ms) / p.isoman.ms);
		row(item, 'ratio isoman / min(curl -o, dd conv=fsync)', '×', limitRatio, {target: '≥ 0.9', check: x => x >= 0.9});
	}

	const cpuPerGB = key => (results[key] ?? []).map(r => r.cpuS / (size / 1e9));
	const curlShaCpu = median(cpuPerGB('curl-sha256sum'));
	row(item, 'CPU: isoman (user+sys per GB)', 's/GB', cpuPerGB('isoman'), Number.isFinite(curlShaCpu) ? {target: `≤ 0.4 × curl+sha256sum (${fmt(0.4 * curlShaCpu)})`, check: x => x <= 0.4 * curlShaCpu} : {});
	if (results['curl-sha256sum']) row(item, 'CPU: curl + sha256sum (user+sys per GB)', 's/GB', cpuPerGB('curl-sha256sum'));
	if (results.curl) {
		// What fetching and writing the file costs a C client, plus the fastest sha256 on this CPU (Node's, on a
		// cache-hot buffer): what any tool that writes and hashes every byte spends at least, start-up aside.
		const hashCpu = sha256CpuPerGB();
		const floor = cpuPerGB('curl').map(x => x + hashCpu);
		row(item, 'CPU: curl -o FILE (user+sys per GB)', 's/GB', cpuPerGB('curl'));
		row(item, `CPU floor: curl -o FILE + Node sha256 of the bytes (${fmt(hashCpu)} s/GB)`, 's/GB', floor);
		row(item, 'ratio CPU isoman / that floor', '×', cpuPerGB('isoman').map((x, i) => x / (floor[i] ?? NaN)));
	}
	note(
		item,
		`isoman's time includes Node start-up, opening the catalogue, the content check, hashing every byte while writing, fsync of the whole file, the rename, the sidecar and the final transaction; \`curl -o\` does none of the hashing or the fsync. "durable" rows fsync the file too, as isoman does.`,
	);
}

let sha256Cpu;
/** CPU seconds per GB of Node's sha256 on a cache-hot 1 MiB buffer (512 MiB hashed; median of 3; measured once). */
function sha256CpuPerGB() {
	if (sha256Cpu === undefined) {
		const per = [];
		for (let k = 0; k < 3; k++) {
			const t0 = process.cpuUsage();
			hashHotBuffer('sha256', 512);
			const t = process.cpuUsage(t0);
			per.push((t.user + t.system) / 1e6 / ((512 * MiB) / 1e9));
		}

		sha256Cpu = median(per);
	}

	return sha256Cpu;
}

// ---------------------------------------------------------------------------------------------------------------------
// 2. Hashing

async function benchHash(options, {big, work}) {
	const item = 2;
	const hashScript = path.join(ROOT, 'bench', 'lib', 'hash-node.mjs');
	const algs = [
		['sha256', 'sha256sum'],
		['sha512', 'sha512sum'],
		['md5', 'md5sum'],
		['blake2b512', 'b2sum'],
	];
	const nodeRates = {};
	for (const [alg, tool] of algs) {
		const mem = [];
		const file = [];
		const tools = [];
		const toolPath = which(tool);
		if (!toolPath) skip(item, `${tool} row`, `${tool} not installed`);
		for (let i = 0; i < options.runs; i++) {
			const m = spawnSync(process.execPath, [hashScript, 'mem', alg, '256'], {encoding: 'utf8'});
			if (m.status === 0) {
				const j = JSON.parse(m.stdout);
				mem.push(gbps(j.bytes, j.ms));
			}

			const f = spawnSync(process.execPath, [hashScript, 'file', alg, big.file], {encoding: 'utf8'});
			if (f.status !== 0) throw new Error(`node ${alg}: ${f.stderr}`);
			const j = JSON.parse(f.stdout);
			if (alg === 'sha256' && j.hex !== big.sha256) throw new Error('node sha256 of the file differs from the one computed at generation');
			file.push(gbps(j.bytes, j.ms));
			if (toolPath) {
				const r = await measure(toolPath, [big.file], {scratch: work, captureStdout: true});
				if (r.code !== 0) throw new Error(`${tool}: ${r.stderr}`);
				tools.push(gbps(big.size, r.ms));
			}
		}

		nodeRates[alg] = file;
		row(item, `Node ${alg}, cache-hot 1 MiB buffer (CPU limit)`, 'GB/s', mem);
		row(item, `Node ${alg}, file in page cache, 1 MiB reads`, 'GB/s', file);
		if (toolPath) row(item, `${tool} FILE (process wall time)`, 'GB/s', tools);
	}

	if (!shared.verifyLibrary) {
		skip(item, 'isoman verify rows', 'needs the library downloaded by item 1 (run item 1 too)');
		return;
	}

	const verify = [];
	const startup = [];
	const adjusted = [];
	for (let i = 0; i < options.runs; i++) {
		const r = await measure(process.execPath, [CLI, 'verify', '--data-dir', shared.verifyLibrary], {cwd: ROOT, env: isomanEnv(), scratch: work, captureStdout: true});
		if (r.code !== 0 || !/\bok\b/.test(r.stdout)) throw new Error(`isoman verify: exit ${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`);
		const s = await measure(process.execPath, [CLI, 'list', '--data-dir', shared.verifyLibrary], {cwd: ROOT, env: isomanEnv(), scratch: work});
		verify.push(gbps(big.size, r.ms));
		startup.push(s.ms);
		adjusted.push(gbps(big.size, Math.max(1, r.ms - s.ms)));
	}

	row(item, `isoman verify (sha256, ${bytesText(big.size)}, process wall time)`, 'GB/s', verify);
	row(item, 'isoman start-up + catalogue (isoman list on the same library)', 'ms', startup, {digits: 0});
	row(item, 'isoman verify, start-up subtracted', 'GB/s', adjusted);
	const raw = median(nodeRates.sha256);
	row(item, 'ratio isoman verify / Node sha256 (file)', '×', verify.map(v => v / raw), {target: '≥ 0.9', check: x => x >= 0.9});
	row(item, 'ratio isoman verify (start-up subtracted) / Node sha256 (file)', '×', adjusted.map(v => v / raw), {target: '≥ 0.9', check: x => x >= 0.9});
}

// ---------------------------------------------------------------------------------------------------------------------
// 3. Concurrency and memory

async function benchConcurrency(options, {big, small, url, curl, out, work}) {
	const item = 3;
	const total = small.size * 4;
	const urls = [1, 2, 3, 4].map(i => url(`bench-${options.smallMiB}MiB-${i}.iso`));
	const iso4 = [];
	const rss4 = [];
	const rss1 = [];
	const iso1 = [];
	const curl4 = [];
	const dd4 = [];
	/** isoman's own CPU per GB (4 at once), and the whole machine's busy CPU per GB during each tool's run. */
	const cpu4 = [];
	const machine = {curl: [], isoman: []};
	const dd = which('dd');
	for (let round = 0; round < options.runs; round++) {
		const order = round % 2 === 0 ? ['isoman', 'curl'] : ['curl', 'isoman'];
		for (const which_ of order) {
			if (which_ === 'curl') {
				if (!curl) continue;
				const script = urls.map((u, i) => `"$0" -sS --fail -o "$1/c${i}.iso" "${u}" &`).join(' ') + ' wait';
				warmWrite(out, total);
				const [r, busy] = await withMachineCpu(() => measure('sh', ['-c', script, curl, out], {scratch: work}));
				machine.curl.push(busy / (total / 1e9));
				for (let i = 0; i < 4; i++) fs.rmSync(path.join(out, `c${i}.iso`), {force: true});
				if (r.code !== 0) throw new Error(`4 × curl: ${r.stderr}`);
				curl4.push(gbps(total, r.ms));
				if (dd) {
					// The durable disk limit for the same total.
					const target = path.join(out, 'dd4.bin');
					warmWrite(out, total);
					const d = await measure(dd, ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${total / MiB}`, 'conv=fsync'], {scratch: work});
					fs.rmSync(target, {force: true});
					if (d.code === 0) dd4.push(gbps(total, d.ms));
				}

				continue;
			}

			const dataDir = path.join(work, `lib-3-${round}`);
			urls.forEach((u, i) => addImage(dataDir, u, `c${i + 1}`, small.sha256));
			warmWrite(out, total);
			const [r, busy] = await withMachineCpu(() => daemon(dataDir, ['--concurrency', '4', '--per-host', '4'], {scratch: work}));
			machine.isoman.push(busy / (total / 1e9));
			cpu4.push(r.cpuS / (total / 1e9));
			if (r.code !== 0) throw new Error(`isoman daemon (4 at once) exited ${r.code}: ${r.stderr.trim()}`);
			assertComplete(dataDir, small.sha256);
			fs.rmSync(dataDir, {recursive: true, force: true});
			iso4.push(gbps(total, r.ms));
			rss4.push(r.peakRssKiB * 1024 / 1e6);
		}

		const dataDir = path.join(work, `lib-3s-${round}`);
		addImage(dataDir, urls[0], 's1', small.sha256);
		warmWrite(out, small.size);
		const r = await daemon(dataDir, [], {scratch: work});
		if (r.code !== 0) throw new Error(`isoman daemon (1 × small) exited ${r.code}: ${r.stderr.trim()}`);
		assertComplete(dataDir, small.sha256);
		fs.rmSync(dataDir, {recursive: true, force: true});
		rss1.push(r.peakRssKiB * 1024 / 1e6);
		iso1.push(gbps(small.size, r.ms));
	}

	// The floor: the same daemon with nothing to do (Node, SQLite, undici loaded; no download).
	const floor = [];
	for (let round = 0; round < options.runs; round++) {
		const dataDir = path.join(work, `lib-3e-${round}`);
		createLibrary(dataDir);
		const r = await daemon(dataDir, [], {scratch: work});
		fs.rmSync(dataDir, {recursive: true, force: true});
		if (r.code === 0) floor.push(r.peakRssKiB * 1024 / 1e6);
	}

	const s = bytesText(small.size);
	if (curl) row(item, `4 × curl -o at once, 4 × ${s} (total)`, 'GB/s', curl4);
	else skip(item, '4 × curl row', 'curl not installed');
	row(item, `isoman, 4 × ${s} at once (--concurrency 4 --per-host 4; total)`, 'GB/s', iso4);
	if (curl4.length && iso4.length) row(item, 'ratio isoman / curl, 4 at once', '×', iso4.map((v, i) => v / (curl4[i] ?? NaN)));
	if (dd4.length) row(item, `dd conv=fsync of the same total (4 × ${s})`, 'GB/s', dd4);
	if (curl4.length && dd4.length && iso4.length) {
		row(item, 'ratio isoman 4 at once / min(4 curls, dd conv=fsync)', '×', iso4.map((v, i) => v / Math.min(curl4[i] ?? NaN, dd4[i] ?? NaN)), {target: '≥ 0.9', check: x => x >= 0.9});
	}

	row(item, 'CPU: isoman 4 at once (user+sys per GB)', 's/GB', cpu4);
	const cores = os.cpus().length;
	if (machine.curl.some(Number.isFinite)) {
		// The curls keep every core busy; a tool that also hashes each byte needs that CPU plus the hash's, so by CPU
		// alone it can reach at most cores ÷ (their machine CPU per GB + sha256's) — as a fraction of their rate.
		const hashCpu = sha256CpuPerGB();
		row(item, 'the whole machine busy per GB, 4 × curl (all processes, /proc/stat)', 's/GB', machine.curl);
		row(item, 'the whole machine busy per GB, isoman 4 at once', 's/GB', machine.isoman);
		row(item, `ceiling by CPU for any tool that also hashes, ÷ 4 curls: ${cores} cores ÷ (their busy s/GB + sha256 ${fmt(hashCpu)}) ÷ their rate`, '×', machine.curl.map((c, i) => cores / (c + hashCpu) / (curl4[i] ?? NaN)));
	}

	row(item, `isoman, 1 × ${s} (same rounds)`, 'GB/s', iso1);
	row(item, 'ratio isoman 4 at once / 1 at once (total throughput)', '×', iso4.map((v, i) => v / (iso1[i] ?? NaN)), {target: '≥ 1.0', check: x => x >= 1});
	const rssCheck = {target: '≤ 120', check: x => x <= 120, digits: 0};
	row(item, 'isoman peak RSS, idle daemon on an empty library (floor)', 'MB', floor, {digits: 0});
	row(item, `isoman peak RSS, 4 × ${s} at once`, 'MB', rss4, rssCheck);
	row(item, `isoman peak RSS, 1 × ${s}`, 'MB', rss1, rssCheck);
	if (shared.bigRss) row(item, `isoman peak RSS, 1 × ${bytesText(big.size)} (item 1 runs)`, 'MB', shared.bigRss.map(k => (k * 1024) / 1e6), rssCheck);
	else skip(item, `peak RSS for 1 × ${bytesText(big.size)}`, 'comes from item 1, which did not run');
	note(item, `peak RSS is the isoman daemon's whole process (${gnuTime ? 'GNU time %M' : 'VmHWM'}), Node itself included.`);
}

// ---------------------------------------------------------------------------------------------------------------------
// 7. Serving: isoman --listen beside nginx (sendfile) on the same file

/** `isoman --daemon --listen 127.0.0.1:0` on `dataDir`; resolves with its URL once it prints `listening`. */
async function serveLibrary(dataDir) {
	const child = spawn(process.execPath, [CLI, '--daemon', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {cwd: ROOT, env: isomanEnv(), stdio: ['ignore', 'pipe', 'pipe']});
	const url = await new Promise((resolve, reject) => {
		let buffered = '';
		child.stdout.on('data', chunk => {
			buffered += chunk;
			for (const line of buffered.split('\n')) {
				if (line.includes('"event":"listening"')) resolve(JSON.parse(line).url);
			}
		});
		child.once('exit', code => reject(new Error(`isoman --listen exited ${code} before listening`)));
	});
	return {
		url,
		pid: child.pid,
		async stop() {
			if (child.exitCode !== null) return;
			const exited = new Promise(resolve => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		},
	};
}

async function benchServing(options, {big, bigUrl, curl, server, work}) {
	const item = 7;
	if (!curl) return skip(item, 'serving', 'curl not installed');
	if (!server.kind?.startsWith('nginx')) skip(item, 'the nginx rows', `the server is ${server.kind}, not nginx: the comparison is against it instead`);
	// A library holding the big file, complete and verified (a real download from the same server).
	const dataDir = path.join(work, 'lib-7');
	addImage(dataDir, bigUrl, 'serve', big.sha256);
	const r = await daemon(dataDir, [], {scratch: work});
	if (r.code !== 0) throw new Error(`isoman daemon (fill the library) exited ${r.code}: ${r.stderr.trim()}`);
	assertComplete(dataDir, big.sha256);
	const [image] = listJson(dataDir);
	const isoman = await serveLibrary(dataDir);
	const isomanUrl = `${isoman.url}/images/${image.file_path}`;
	const results = {};
	const push = (key, value) => (results[key] ??= []).push(value);
	// n parallel `curl -o /dev/null`; GB/s = bytes sent in all ÷ wall time of the whole batch.
	const fetchAll = async (url, n) => {
		const script = Array.from({length: n}, () => `"$0" -sS --fail -o /dev/null "${url}" &`).join(' ') + ' wait';
		const m = await measure('sh', ['-c', script, curl], {scratch: work, noTime: true});
		if (m.code !== 0) throw new Error(`${n} × curl ${url}: ${m.stderr.trim()}`);
		return gbps(big.size * n, m.ms);
	};

	try {
		warmRead(path.join(dataDir, 'images', image.file_path));
		let peakRss = 0;
		const rssPoll = setInterval(() => (peakRss = Math.max(peakRss, procPeakRssKiB(isoman.pid) ?? 0)), 100);
		for (let round = 0; round < options.runs; round++) {
			for (const n of [1, 8]) {
				const order = round % 2 === 0 ? ['isoman', 'nginx'] : ['nginx', 'isoman'];
				const pair = {};
				for (const who of order) pair[who] = await fetchAll(who === 'isoman' ? isomanUrl : bigUrl, n);
				push(`isoman-${n}`, pair.isoman);
				push(`nginx-${n}`, pair.nginx);
				push(`ratio-${n}`, pair.isoman / pair.nginx);
			}
		}

		clearInterval(rssPoll);
		const size = bytesText(big.size);
		const ratio = {target: '≥ 0.8', check: x => x >= 0.8};
		for (const n of [1, 8]) {
			const who = n === 1 ? '1 client' : `${n} clients at once (total)`;
			row(item, `nginx (sendfile) → curl -o /dev/null, ${size}, ${who}`, 'GB/s', results[`nginx-${n}`]);
			row(item, `isoman --listen → curl -o /dev/null, ${size}, ${who}`, 'GB/s', results[`isoman-${n}`]);
			row(item, `ratio isoman / nginx, ${who}`, '×', results[`ratio-${n}`], ratio);
		}

		row(item, 'isoman peak RSS while serving (whole daemon)', 'MB', [(peakRss * 1024) / 1e6], {digits: 0});
		note(item, 'both servers read the same file from the page cache over loopback; nginx: 1 worker, sendfile on; isoman: node:http, 1 MiB reads with one read ahead.');
	} finally {
		await isoman.stop();
		if (!options.keep) fs.rmSync(dataDir, {recursive: true, force: true});
	}
}

// ---------------------------------------------------------------------------------------------------------------------
// 4. Resume cost

async function benchResume(options, {big, bigUrl, work}) {
	const item = 4;
	const resume = [];
	const fractions = [];
	const totals = [];
	const clean = [];
	for (let round = 0; round < options.runs; round++) {
		// A clean download in the same round, for the ratio.
		const cleanDir = path.join(work, `lib-4c-${round}`);
		addImage(cleanDir, bigUrl, 'clean', big.sha256);
		warmWrite(work, big.size);
		const c = await daemon(cleanDir, [], {scratch: work});
		if (c.code !== 0) throw new Error(`clean download exited ${c.code}`);
		assertComplete(cleanDir, big.sha256);
		fs.rmSync(cleanDir, {recursive: true, force: true});
		clean.push(c.ms);

		const dataDir = path.join(work, `lib-4-${round}`);
		const id = addImage(dataDir, bigUrl, 'resume', big.sha256);
		const part = path.join(dataDir, 'images', '.tmp', `${id}.part`);
		let killedAt = 0;
		warmWrite(work, big.size);
		const first = await daemon(dataDir, [], {
			scratch: work,
			noTime: true,
			onSpawn(child) {
				const poll = setInterval(() => {
					let bytes = 0;
					try {
						bytes = fs.statSync(part).size;
					} catch {}

					if (bytes >= big.size / 2) {
						clearInterval(poll);
						child.kill('SIGKILL');
						killedAt = bytes;
					}
				}, 5);
				child.once('exit', () => clearInterval(poll));
			},
		});
		if (first.signal !== 'SIGKILL') throw new Error(`the first daemon was not killed (exit ${first.code}); the file is too small to catch at 50%?`);
		const partBytes = fs.statSync(part).size;
		fractions.push((partBytes / big.size) * 100);
		warmWrite(work, big.size);
		const second = await daemon(dataDir, [], {scratch: work});
		if (second.code !== 0) throw new Error(`resumed daemon exited ${second.code}: ${second.stderr.trim()}`);
		assertComplete(dataDir, big.sha256);
		fs.rmSync(dataDir, {recursive: true, force: true});
		resume.push(second.ms);
		totals.push(first.ms + second.ms);
		say(`  round ${round + 1}: killed at ${fmt((killedAt / big.size) * 100, 1)}% (part ${fmt((partBytes / big.size) * 100, 1)}%), resume ${fmt(second.ms / 1000)} s, clean ${fmt(c.ms / 1000)} s`);
	}

	const s = bytesText(big.size);
	row(item, `clean download of ${s} (same rounds)`, 's', clean.map(ms => ms / 1000));
	row(item, '.part size when SIGKILLed', '% of file', fractions, {digits: 1});
	row(item, 'restart after SIGKILL → complete (re-hash the part + fetch the rest)', 's', resume.map(ms => ms / 1000));
	row(item, 'ratio restart / clean', '×', resume.map((ms, i) => ms / clean[i]), {target: '≈ 0.5 + re-hash'});
	row(item, 'ratio (first half + restart) / clean', '×', totals.map((ms, i) => ms / clean[i]));
}

// ---------------------------------------------------------------------------------------------------------------------
// 5. TUI cost

function tuiEnv() {
	return isomanEnv({TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', COLORTERM: 'truecolor'});
}

function tuiMissing() {
	if (!fs.existsSync(TUI_MODULE)) return 'TUI not built (dist/ui/run-tui.js missing)';
	return ptyAvailable();
}

async function benchTui(options, {small, url, work}) {
	const item = 5;
	const missing = tuiMissing();
	if (missing) {
		skip(item, 'TUI cost', missing);
		return;
	}

	const seconds = options.tuiSeconds;
	const settle = 3;
	// Slow enough that the three downloads stay active through settle + window + margin.
	const bps = Math.max(64 * 1024, Math.min(2_000_000, Math.floor((small.size * 0.7) / (seconds + settle + 10))));
	note(item, `3 downloads from the loopback server throttled to ${fmt(bps / 1e6)} MB/s each; ${settle} s settle, then a ${seconds} s window; 80×24 pty (util-linux script), TERM=xterm-256color, UTF-8 locale. CPU% is the isoman process's utime+stime over the window ÷ wall (100% = one core). "engine only" runs the same downloads headless (daemon) so the UI's share can be read off.`);
	const setup = round => {
		const dataDir = path.join(work, `lib-5-${round}-${Math.random().toString(36).slice(2, 8)}`);
		for (let i = 1; i <= 3; i++) addImage(dataDir, `${url(`bench-${options.smallMiB}MiB-${i}.iso`)}?bps=${bps}`, `t${i}`, small.sha256);
		return dataDir;
	};

	const configs = [
		['tui', []],
		['tui-low', ['--low-bandwidth']],
		['daemon', null],
	];
	const res = {};
	for (let round = 0; round < options.runs; round++) {
		for (const [key, flags] of configs) {
			const dataDir = setup(round);
			let result;
			if (flags === null) result = await engineOnly(dataDir, settle, seconds);
			else result = await tuiWindow(dataDir, flags, settle, seconds);
			fs.rmSync(dataDir, {recursive: true, force: true});
			(res[key] ??= []).push(result);
			say(`  round ${round + 1}: ${key} ${fmt(result.bytesPerS / 1000)} KB/s, CPU ${fmt(result.cpuPct, 1)}%, ${result.active} active`);
		}
	}

	const pick = (key, f) => (res[key] ?? []).map(f);
	row(item, 'TUI: bytes to the terminal, 3 active downloads', 'KB/s', pick('tui', r => r.bytesPerS / 1000), {target: '≤ 20', check: x => x <= 20});
	row(item, 'TUI --low-bandwidth: bytes to the terminal', 'KB/s', pick('tui-low', r => r.bytesPerS / 1000), {
		target: '< normal',
		check: x => x < median(pick('tui', r => r.bytesPerS / 1000)),
	});
	row(item, 'TUI: CPU of the isoman process', '% core', pick('tui', r => r.cpuPct), {target: '≤ 15', check: x => x <= 15, digits: 1});
	row(item, 'TUI --low-bandwidth: CPU', '% core', pick('tui-low', r => r.cpuPct), {
		target: '< normal',
		check: x => x < median(pick('tui', r => r.cpuPct)),
		digits: 1,
	});
	row(item, 'engine only (daemon, same 3 downloads): CPU', '% core', pick('daemon', r => r.cpuPct), {digits: 1});
	row(item, 'TUI: frames written per second (sync-update brackets)', '1/s', pick('tui', r => r.framesPerS), {digits: 1});
	row(item, 'TUI --low-bandwidth: frames per second', '1/s', pick('tui-low', r => r.framesPerS), {digits: 1});
	const inactive = Object.values(res)
		.flat()
		.filter(r => r.active < 3);
	if (inactive.length > 0) note(item, `in ${inactive.length} window(s) fewer than 3 downloads were active at the end (see the log): the numbers then understate the load.`);
}

/** Active downloads right now, from the catalogue (read-only, through the project's better-sqlite3). */
async function activeCount(dataDir) {
	const {createRequire} = await import('node:module');
	const Database = createRequire(path.join(ROOT, 'package.json'))('better-sqlite3');
	const db = new Database(path.join(dataDir, 'isoman.db'), {readonly: true, fileMustExist: true});
	try {
		return db.prepare("SELECT count(*) AS n FROM images WHERE status = 'downloading'").get().n;
	} finally {
		db.close();
	}
}

async function tuiWindow(dataDir, flags, settle, seconds) {
	const session = startInPty([process.execPath, CLI, '--data-dir', dataDir, '--per-host', '3', ...flags], {cols: 80, rows: 24, env: tuiEnv(), cwd: ROOT});
	try {
		const first = await session.waitFor(t => t.includes('\x1b[?2026h'), 15_000);
		if (first === undefined) throw new Error(`the TUI drew no frame within 15 s: ${session.stderr.trim() || session.text.slice(0, 200)}`);
		const pid = await session.programPid();
		await sleep(settle * 1000);
		const bytes0 = session.bytes;
		const frames0 = countFrames(session.text);
		const cpu0 = procCpuSeconds(pid);
		const t0 = performance.now();
		await sleep(seconds * 1000);
		const cpu1 = procCpuSeconds(pid);
		const t1 = performance.now();
		const bytes1 = session.bytes;
		const frames1 = countFrames(session.text);
		const active = await activeCount(dataDir);
		const wall = (t1 - t0) / 1000;
		return {bytesPerS: (bytes1 - bytes0) / wall, cpuPct: ((cpu1 - cpu0) / wall) * 100, framesPerS: (frames1 - frames0) / wall, active, rss: procPeakRssKiB(pid)};
	} finally {
		await session.stop();
	}
}

function countFrames(text) {
	let n = 0;
	for (let i = text.indexOf('\x1b[?2026h'); i >= 0; i = text.indexOf('\x1b[?2026h', i + 1)) n++;
	return n;
}

async function engineOnly(dataDir, settle, seconds) {
	const {spawn} = await import('node:child_process');
	const child = spawn(process.execPath, [CLI, '--daemon', '--data-dir', dataDir, '--per-host', '3'], {cwd: ROOT, env: isomanEnv(), stdio: 'ignore'});
	try {
		await sleep(settle * 1000 + 500);
		const cpu0 = procCpuSeconds(child.pid);
		const t0 = performance.now();
		await sleep(seconds * 1000);
		const cpu1 = procCpuSeconds(child.pid);
		const wall = (performance.now() - t0) / 1000;
		const active = await activeCount(dataDir);
		return {bytesPerS: 0, cpuPct: ((cpu1 - cpu0) / wall) * 100, framesPerS: 0, active};
	} finally {
		const exited = new Promise(resolve => child.once('exit', resolve));
		child.kill('SIGTERM');
		await Promise.race([exited, sleep(8000)]);
		if (child.exitCode === null) child.kill('SIGKILL');
	}
}

// ---------------------------------------------------------------------------------------------------------------------
// 6. Catalogue scale

async function benchCatalogue(options, {work, origin}) {
	const item = 6;
	const n = options.catalogue;
	const empty = path.join(work, 'lib-6-empty');
	const full = path.join(work, 'lib-6-full');
	createLibrary(empty);
	createLibrary(full);
	const seeded = seedCatalogue(ROOT, full, n, origin);
	const count = listJson(full).length;
	if (count !== n) throw new Error(`seeded ${seeded.rows} rows but list --json shows ${count}`);

	// list --json
	const listTimes = {empty: [], full: []};
	for (let i = 0; i < options.runs; i++) {
		for (const [key, dir] of [
			['empty', empty],
			['full', full],
		]) {
			const r = await measure(process.execPath, [CLI, 'list', '--json', '--data-dir', dir], {cwd: ROOT, env: isomanEnv(), scratch: work});
			if (r.code !== 0) throw new Error(`list --json: ${r.stderr}`);
			listTimes[key].push(r.ms);
		}
	}

	const nText = n.toLocaleString('en-US');
	row(item, 'list --json, empty catalogue (start-up floor)', 'ms', listTimes.empty, {digits: 0});
	row(item, `list --json, ${nText} images`, 'ms', listTimes.full, {target: '≤ 500', check: x => x <= 500, digits: 0});

	const missing = tuiMissing();
	if (missing) {
		skip(item, 'TUI time to first frame and key latency', missing);
		return;
	}

	// TUI: time to first frame, then key-press-to-frame latency.
	const firstEmpty = [];
	const firstFull = [];
	const latencies = [];
	const presses = options.quick ? 15 : 30;
	for (let i = 0; i < options.runs; i++) {
		firstEmpty.push(await firstFrame(empty, t => t.includes('The library is empty') || t.includes('library is empty')));
		const session = startInPty([process.execPath, CLI, '--data-dir', full], {cols: 80, rows: 24, env: tuiEnv(), cwd: ROOT});
		try {
			const shown = await session.waitFor(t => t.includes(seeded.firstName), 30_000);
			if (shown === undefined) throw new Error(`the TUI did not show ${seeded.firstName} within 30 s: ${session.stderr.trim()}`);
			firstFull.push(shown - session.started);
			await sleep(1500);
			const m = /(?<![0-9])1\/(\d+)(?![0-9])/.exec(session.text);
			if (!m) throw new Error('could not find the selection position ("1/N") in the status line');
			const total = Number(m[1]);
			let position = 1;
			for (let k = 0; k < presses && position < total; k++) {
				const from = session.text.length;
				const expected = new RegExp(`(?<![0-9])${position + 1}/${total}(?![0-9])`);
				const sent = performance.now();
				session.write('j');
				const seen = await session.waitFor(t => expected.test(t), 2000, from);
				latencies.push(seen === undefined ? NaN : seen - sent);
				if (seen === undefined) say(`  key ${k + 1}: no frame with ${expected} within 2 s`);
				position++;
				await sleep(200);
			}
		} finally {
			await session.stop();
		}
	}

	row(item, 'TUI time to first frame, empty catalogue (start-up floor)', 'ms', firstEmpty, {digits: 0});
	row(item, `TUI time to first frame showing the library, ${nText} images`, 'ms', firstFull, {target: '≤ 1000', check: x => x <= 1000, digits: 0});
	const lost = latencies.filter(x => !Number.isFinite(x)).length;
	row(item, `TUI key press (j) → frame, ${nText} images`, 'ms', latencies, {target: '≤ 50', check: x => x <= 50, digits: 1});
	const sorted = latencies.filter(Number.isFinite).sort((a, b) => a - b);
	if (sorted.length > 0) note(item, `key latency over ${latencies.length} presses (200 ms apart, so the 20 fps frame throttle never holds a frame back): p90 ${fmt(sorted[Math.floor(sorted.length * 0.9)] ?? NaN, 1)} ms, max ${fmt(sorted.at(-1), 1)} ms${lost ? `; ${lost} press(es) drew no frame within 2 s` : ''}. Time to first frame is from spawning the process (Node start-up, recovery over ${nText} files, catalogue read, Ink import) to the first frame that shows the first image name.`);
}

async function firstFrame(dataDir, predicate) {
	const session = startInPty([process.execPath, CLI, '--data-dir', dataDir], {cols: 80, rows: 24, env: tuiEnv(), cwd: ROOT});
	try {
		const t = await session.waitFor(predicate, 30_000);
		return t === undefined ? NaN : t - session.started;
	} finally {
		await session.stop();
	}
}

// ---------------------------------------------------------------------------------------------------------------------
// 9. Bandwidth limit

/** Bytes of a file now (0 while it does not exist). */
const sizeOf = file => {
	try {
		return fs.statSync(file).size;
	} catch {
		return 0;
	}
};

async function benchLimit(options, {big, small, url, work}) {
	const item = 9;
	const {spawn} = await import('node:child_process');
	const seconds = options.tuiSeconds;
	// 20 MB/s for the window fits in the small file; 50 MB/s needs the big one. After the window the limit is lifted
	// with `isoman limit 0` (through the daemon) so the download finishes and is verified like every other.
	const cases = [
		[20, small, url(path.basename(small.file))],
		[50, big, url(path.basename(big.file))],
	];
	for (const [mbps, file, fileUrl] of cases) {
		const limit = mbps * 1e6;
		if (file.size < limit * (seconds + 2)) {
			skip(item, `${mbps} MB/s limit`, `${bytesText(file.size)} lasts less than ${seconds + 2} s at ${mbps} MB/s (use a longer file or --tui-seconds)`);
			continue;
		}

		const rates = [];
		const deviations = [];
		for (let round = 0; round < options.runs; round++) {
			const dataDir = path.join(work, `lib-7-${mbps}-${round}`);
			const id = addImage(dataDir, fileUrl, `l${mbps}-${round}`, file.sha256);
			const part = path.join(dataDir, 'images', '.tmp', `${id}.part`);
			warmWrite(work, file.size);
			const child = spawn(process.execPath, [CLI, '--daemon', '--exit-when-idle', '--data-dir', dataDir, '--max-rate', String(limit)], {cwd: ROOT, env: isomanEnv(), stdio: 'ignore'});
			const exited = new Promise(resolve => child.once('exit', code => resolve(code)));
			try {
				const deadline = performance.now() + 15_000;
				while (sizeOf(part) === 0 && performance.now() < deadline) await sleep(20);
				await sleep(1000);
				const samples = [];
				const t0 = performance.now();
				while (performance.now() - t0 < seconds * 1000) {
					samples.push([performance.now(), sizeOf(part)]);
					await sleep(50);
				}

				samples.push([performance.now(), sizeOf(part)]);
				const [firstT, firstB] = samples[0];
				const [lastT, lastB] = samples.at(-1);
				rates.push((lastB - firstB) / ((lastT - firstT) / 1000) / 1e6);
				// Non-overlapping 1-s windows: the largest relative deviation from the limit.
				let worst = 0;
				for (let w = firstT; w + 1000 <= lastT; w += 1000) {
					const a = samples.find(([t]) => t >= w);
					const b = samples.findLast(([t]) => t <= w + 1000);
					if (!a || !b || b[0] <= a[0]) continue;
					const r = (b[1] - a[1]) / ((b[0] - a[0]) / 1000);
					worst = Math.max(worst, Math.abs(r - limit) / limit);
				}

				deviations.push(worst * 100);
				const lifted = isomanSync(['limit', '0', '--data-dir', dataDir], {allowFail: true});
				if (lifted.status !== 0) say(`  isoman limit 0: ${lifted.stderr.trim()}`);
				const code = await Promise.race([exited, sleep(120_000).then(() => 'timeout')]);
				if (code !== 0) throw new Error(`the limited download (${mbps} MB/s) ended with ${code}`);
				assertComplete(dataDir, file.sha256);
				say(`  round ${round + 1}: ${mbps} MB/s limit → ${fmt(rates.at(-1))} MB/s, worst 1-s window ${fmt(worst * 100, 0)}% off`);
			} finally {
				if (child.exitCode === null) child.kill('SIGKILL');
				fs.rmSync(dataDir, {recursive: true, force: true});
			}
		}

		row(item, `--max-rate ${mbps}000000 (${mbps} MB/s): rate over ${seconds} s`, 'MB/s', rates, {target: `${mbps} ± 10%`, check: x => Math.abs(x - mbps) / mbps <= 0.1});
		row(item, `--max-rate ${mbps} MB/s: largest deviation of a 1-s window`, '%', deviations, {digits: 0});
	}

	note(item, `the rate is the .part's growth (polled every 50 ms) over the ${seconds} s window after 1 s of settling; a 1-s window's deviation is |its rate − limit| ÷ limit. After the window \`isoman limit 0\` lifts the limit through the daemon and the download completes and is verified.`);
}

// ---------------------------------------------------------------------------------------------------------------------
// 8. TUI responsiveness during 4 full-speed downloads

/**
 * Presses j and k in turn, 150 ms apart, in a TUI whose list has `total` rows, until 200 presses or `keepGoing()`
 * (asked every 10 presses) says stop; resolves each press's latency (NaN: no frame within 2 s).
 */
async function pressAlternately(session, total, keepGoing) {
	const latencies = [];
	for (let k = 0; k < 200; k++) {
		if (k % 10 === 0 && !(await keepGoing())) break;
		const down = k % 2 === 0;
		const from = session.text.length;
		const expected = new RegExp(`(?<![0-9])${down ? 2 : 1}/${total}(?![0-9])`);
		const sent = performance.now();
		session.write(down ? 'j' : 'k');
		const seen = await session.waitFor(t => expected.test(t), 2000, from);
		latencies.push(seen === undefined ? NaN : seen - sent);
		await sleep(150);
	}

	return latencies;
}

/** The TUI's main thread (/proc/PID/task/PID/schedstat): ms on a CPU, ms runnable but waiting for one. */
function schedstat(pid) {
	try {
		const [onCpu, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
		return {at: performance.now(), onCpuMs: onCpu / 1e6, waitMs: wait / 1e6};
	} catch {
		return undefined;
	}
}

/** Starts the TUI on `dataDir` in a 100×30 pty; resolves the session, its pid and the list's length once drawn. */
async function tuiWithList(dataDir) {
	const session = startInPty([process.execPath, CLI, '--data-dir', dataDir, '--concurrency', '4', '--per-host', '4'], {cols: 100, rows: 30, env: tuiEnv(), cwd: ROOT});
	const first = await session.waitFor(t => /(?<![0-9])1\/(\d+)(?![0-9])/.test(t), 15_000);
	if (first === undefined) {
		await session.stop();
		throw new Error(`the TUI drew no list within 15 s: ${session.stderr.trim()}`);
	}

	return {session, pid: await session.programPid(), total: Number(/(?<![0-9])1\/(\d+)(?![0-9])/.exec(session.text)[1])};
}

/** The machine's cpu line of /proc/stat in seconds: user nice system idle iowait irq softirq steal …; undefined off Linux. */
function procStatCpu() {
	try {
		return fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(x => Number(x) / clockTicks());
	} catch {
		return undefined;
	}
}

/** CPU seconds the whole machine has spent busy so far (every state but idle, iowait and steal). */
function machineBusySeconds() {
	const cpu = procStatCpu();
	if (!cpu) return NaN;
	const [user, nice, system, , , irq, softirq] = cpu;
	return user + nice + system + irq + softirq;
}

/** Resolves run()'s result and the machine's busy CPU seconds during it. */
async function withMachineCpu(run) {
	const b0 = machineBusySeconds();
	const result = await run();
	return [result, machineBusySeconds() - b0];
}

/** The whole machine's steal time so far (time the hypervisor ran something else on our vCPUs), in ms. */
function stealMs() {
	const cpu = procStatCpu();
	return cpu ? cpu[7] * 1000 : NaN;
}

/** p50, p99, max and lost presses of a list of latencies. */
function latencyStats(latencies) {
	const sorted = latencies.filter(Number.isFinite).sort((a, b) => a - b);
	const pct = p => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
	return {p50: pct(0.5), p99: pct(0.99), max: sorted.at(-1) ?? NaN, over50: sorted.filter(x => x > 50).length, n: latencies.length, lost: latencies.length - sorted.length};
}

/**
 * Item 8: key → frame while the TUI downloads 4 × the big file at full speed; then two controls: the same TUI with
 * its 4 rows paused while 4 curl loops fetch the same files (`curl -o FILE`, and `curl | tee FILE | sha256sum`,
 * the same work as isoman's: fetch, write, hash), so what the machine alone does to a drawing process under such a
 * load can be read beside isoman's figure.
 */
async function benchTuiUnderLoad(options, {big, url, curl, out, work}) {
	const item = 8;
	const missing = tuiMissing();
	if (missing) {
		skip(item, 'TUI key latency under load', missing);
		return;
	}

	const urls = [1, 2, 3, 4].map(i => url(`${path.basename(big.file, '.iso')}-${i}.iso`));
	const sha256sum = which('sha256sum');
	const controls = [];
	if (curl) controls.push(['curl', 'while :; do "$0" -sS --fail -o "$1/ctl$2.iso" "$3" || exit 1; done']);
	if (curl && sha256sum) controls.push(['curl-sha', 'while :; do "$0" -sS --fail "$3" | tee "$1/ctl$2.iso" | sha256sum > /dev/null || exit 1; done']);
	const presses = {isoman: [], curl: [], 'curl-sha': []};
	/** The TUI's main thread over the press windows. */
	const mainThread = {wallMs: 0, onCpuMs: 0, waitMs: 0};
	/** Wall time and the machine's steal time over each kind's press windows. */
	const windows = {};
	const timed = async (key, run) => {
		const t0 = performance.now();
		const s0 = stealMs();
		const result = await run();
		const w = (windows[key] ??= {wallMs: 0, stealMs: 0});
		w.wallMs += performance.now() - t0;
		w.stealMs += stealMs() - s0;
		presses[key].push(...result);
		say(`  ${key}: ${result.length} presses, p99 ${fmt(latencyStats(result).p99, 1)} ms`);
		return result;
	};
	for (let round = 0; round < options.runs; round++) {
		const dataDir = path.join(work, `lib-8-${round}`);
		urls.forEach((u, i) => addImage(dataDir, u, `u${i + 1}`, big.sha256));
		warmWrite(work, big.size * 4);
		const {session, pid, total} = await tuiWithList(dataDir);
		try {
			const deadline = performance.now() + 15_000;
			while ((await activeCount(dataDir)) < 4 && performance.now() < deadline) await sleep(100);
			if (total < 2) throw new Error('the list has one row: nothing to move to');
			const sched0 = pid ? schedstat(pid) : undefined;
			await timed('isoman', () => pressAlternately(session, total, async () => (await activeCount(dataDir)) >= 4));
			const sched1 = pid ? schedstat(pid) : undefined;
			if (sched0 && sched1) {
				mainThread.wallMs += sched1.at - sched0.at;
				mainThread.onCpuMs += sched1.onCpuMs - sched0.onCpuMs;
				mainThread.waitMs += sched1.waitMs - sched0.waitMs;
			}
		} finally {
			await session.stop();
		}

		// Let the downloads finish headless, then check every file like the other items do.
		const r = await daemon(dataDir, ['--concurrency', '4', '--per-host', '4'], {scratch: work});
		if (r.code !== 0) throw new Error(`finishing the downloads: daemon exited ${r.code}`);
		assertComplete(dataDir, big.sha256);
		fs.rmSync(dataDir, {recursive: true, force: true});

		for (const [key, loop] of controls) await timed(key, () => pressesBesideLoad(`${key}-${round}`, {big, urls, curl, loop, out, work}));
	}

	const steal = key => {
		const w = windows[key];
		return w && Number.isFinite(w.stealMs) && w.wallMs > 0 ? ` The hypervisor's steal time over those windows (/proc/stat: time our vCPUs were runnable but not run): ${fmt(w.stealMs / 1000, 1)} s of ${os.cpus().length} × ${fmt(w.wallMs / 1000, 1)} s (${fmt((w.stealMs / (os.cpus().length * w.wallMs)) * 100, 1)} %).` : '';
	};
	const counts = st => `${st.over50} over 50 ms, max ${fmt(st.max, 1)} ms${st.lost ? `; ${st.lost} press(es) drew no frame within 2 s` : ''}`;
	const mine = latencyStats(presses.isoman);
	row(item, 'TUI key (j/k) → frame, 4 full-speed downloads: p50', 'ms', [mine.p50], {digits: 1});
	row(item, 'TUI key (j/k) → frame, 4 full-speed downloads: p99', 'ms', [mine.p99], {target: '≤ 50', check: x => x <= 50 && mine.lost === 0, digits: 1});
	const share = ms => `${fmt(ms / 1000, 1)} s (${fmt((ms / mainThread.wallMs) * 100, 0)} %)`;
	const sched = mainThread.wallMs > 0 ? ` The TUI's main thread over the press windows (${fmt(mainThread.wallMs / 1000, 1)} s, /proc schedstat): on a CPU ${share(mainThread.onCpuMs)}, runnable but waiting for a CPU ${share(mainThread.waitMs)}.` : '';
	note(item, `${mine.n} presses 150 ms apart in an 100×30 pty while 4 × ${bytesText(big.size)} downloaded at once from loopback (--concurrency 4 --per-host 4, no limit), only while all 4 were active; a press counts when the status line shows the new position (n/N, kept beside any message); ${counts(mine)}.${sched}${steal('isoman')} The downloads are then finished headless and verified.`);
	const labels = {curl: '4 × curl -o FILE', 'curl-sha': '4 × curl | tee FILE | sha256sum'};
	for (const [key] of controls) {
		const st = latencyStats(presses[key]);
		row(item, `control: the same TUI, its 4 rows paused, while ${labels[key]} of the same files run: p50`, 'ms', [st.p50], {digits: 1});
		row(item, `control: the same, ${labels[key]}: p99`, 'ms', [st.p99], {digits: 1});
		note(item, `control (${labels[key]}): ${st.n} presses the same way in the same TUI with nothing of its own to download while the 4 loops (each restarted as it finished) fetched the same files; ${counts(st)}.${steal(key)}`);
	}

	if (controls.length < 2) skip(item, 'control rows', controls.length ? 'sha256sum not installed (the curl | sha256sum control)' : 'curl not installed');
}

/** A control round of item 8: presses in an idle TUI (4 paused rows) while 4 shell loops run `loop` on the big file. */
async function pressesBesideLoad(name, {big, urls, curl, loop, out, work}) {
	const dataDir = path.join(work, `lib-8c-${name}`);
	const ids = urls.map((u, i) => addImage(dataDir, u, `c${i + 1}`, big.sha256));
	isomanSync(['pause', ...ids, '--data-dir', dataDir]);
	warmWrite(work, big.size * 4);
	const script = urls.map((u, i) => `sh -c '${loop}' "$0" "$1" ${i} "${u}" &`).join(' ') + ' wait';
	const load = spawn('sh', ['-c', script, curl, out], {stdio: 'ignore', detached: true});
	let stopped = false;
	const exited = new Promise(resolve =>
		load.once('exit', () => {
			stopped = true;
			resolve();
		}),
	);
	const {session, total} = await tuiWithList(dataDir);
	try {
		// The loops are past their first second (connections, first writes) before the first press.
		await sleep(1000);
		const presses = await pressAlternately(session, total, async () => !stopped);
		if (stopped) throw new Error(`the ${name} control load ended early (a fetch failed?)`);
		return presses;
	} finally {
		await session.stop();
		try {
			process.kill(-load.pid, 'SIGKILL');
		} catch {}

		await Promise.race([exited, sleep(5000)]);
		for (let i = 0; i < 4; i++) fs.rmSync(path.join(out, `ctl${i}.iso`), {force: true});
		fs.rmSync(dataDir, {recursive: true, force: true});
	}
}

main().catch(error => {
	process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exitCode = 1;
});
