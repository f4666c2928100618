#!/usr/bin/env node
/**
 * Where isoman's CPU goes during one download: `node --cpu-prof` on the built CLI (`--daemon --exit-when-idle`)
 * downloading one file from loopback (nginx when installed, else bench/lib/server.mjs), then the profile's top
 * functions by self time, summed across every thread that wrote a profile (the main thread and any worker).
 *
 *   node bench/profile.mjs [--size-mib 2048] [--concurrency 1] [--top 25] [--keep]
 *
 * Writes nothing outside bench/data/ (git-ignored); prints a markdown table for bench/README.md.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ensureIso, warmRead, warmWrite} from './lib/datafile.mjs';
import {startNginx} from './lib/nginx.mjs';
import {startNodeServer} from './lib/server.mjs';
import {fmt, measure} from './lib/util.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.resolve(process.argv.includes('--cli') ? process.argv[process.argv.indexOf('--cli') + 1] : path.join(ROOT, 'dist', 'bin.js'));
const DATA = path.join(ROOT, 'bench', 'data');

const argv = process.argv.slice(2);
const value = (name, def) => {
	const i = argv.indexOf(name);
	return i >= 0 ? argv[i + 1] : def;
};

const sizeMiB = Number(value('--size-mib', '2048'));
const concurrency = Number(value('--concurrency', '1'));
const top = Number(value('--top', '25'));
const keep = argv.includes('--keep');
const noProf = argv.includes('--no-prof');
const extra = (value('--flags', '') ?? '').split(' ').filter(Boolean);
const nodeFlags = (value('--node-flags', '') ?? '').split(' ').filter(Boolean);

function isomanEnv() {
	const env = {...process.env};
	for (const key of Object.keys(env)) if (key.startsWith('ISOMAN_')) delete env[key];
	return env;
}

function isoman(args) {
	const r = spawnSync(process.execPath, [CLI, ...args], {cwd: ROOT, env: isomanEnv(), encoding: 'utf8'});
	if (r.status !== 0) throw new Error(`isoman ${args.join(' ')}: ${r.stderr || r.stdout}`);
	return r.stdout.trim();
}

/** Self time per function (name + file:line) of one .cpuprofile, in ms. */
function selfTimes(profile) {
	const byId = new Map(profile.nodes.map(n => [n.id, n]));
	const ms = new Map();
	const deltas = profile.timeDeltas;
	for (let i = 0; i < profile.samples.length; i++) {
		const node = byId.get(profile.samples[i]);
		const f = node.callFrame;
		const file = f.url ? path.basename(f.url.replace(/^file:\/\//, '')) : '';
		const key = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
		ms.set(key, (ms.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
	}

	return ms;
}

/** CPU seconds per thread name (main = the process's name; libuv's pool, V8's helpers, workers), from /proc. */
function threadPoller() {
	const last = new Map();
	let timer;
	const clk = 100;
	return {
		start(target) {
			timer = setInterval(() => {
				const pid = target();
				if (!pid) return;
				let tids = [];
				try {
					tids = fs.readdirSync(`/proc/${pid}/task`);
				} catch {}

				for (const tid of tids) {
					try {
						const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
						const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
						const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
						last.set(tid, {comm: tid === String(pid) ? 'main' : comm, user: Number(f[11]) / clk, sys: Number(f[12]) / clk});
					} catch {}
				}
			}, 50);
		},
		stop() {
			clearInterval(timer);
		},
		table() {
			const by = new Map();
			for (const t of last.values()) {
				const o = by.get(t.comm) ?? {user: 0, sys: 0, n: 0};
				o.user += t.user;
				o.sys += t.sys;
				o.n++;
				by.set(t.comm, o);
			}

			const lines = ['| thread | n | user s | sys s |', '|---|---:|---:|---:|'];
			for (const [name, o] of [...by].sort((a, b) => b[1].user + b[1].sys - (a[1].user + a[1].sys))) {
				if (o.user + o.sys > 0) lines.push(`| ${name} | ${o.n} | ${o.user.toFixed(2)} | ${o.sys.toFixed(2)} |`);
			}

			return lines.join('\n') + '\n';
		},
	};
}

async function main() {
	if (!fs.existsSync(CLI)) throw new Error('dist/ missing: npm run build first');
	fs.mkdirSync(DATA, {recursive: true});
	const work = fs.mkdtempSync(path.join(DATA, 'profile-'));
	const big = await ensureIso(DATA, sizeMiB, t => process.stderr.write(`${t}\n`));
	const links = [];
	for (let i = 1; i <= concurrency; i++) {
		const link = path.join(DATA, `profile-${sizeMiB}MiB-${i}.iso`);
		fs.rmSync(link, {force: true});
		fs.symlinkSync(path.basename(big.file), link);
		links.push(link);
	}

	let server = await startNginx(DATA, work);
	if (server.skipped) server = await startNodeServer(DATA);
	try {
		const dataDir = path.join(work, 'lib');
		links.forEach((link, i) =>
			isoman(['add', `${server.origin}/${path.basename(link)}`, '--name', 'prof', '--version', `v${i}`, '--checksum', `sha256:${big.sha256}`, '--data-dir', dataDir]),
		);
		warmRead(big.file);
		warmWrite(work, big.size * concurrency);
		const profDir = path.join(work, 'prof');
		const threads = threadPoller();
		const r = await measure(
			process.execPath,
			[...nodeFlags, ...(noProf ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir]), CLI, '--daemon', '--exit-when-idle', '--data-dir', dataDir, '--concurrency', String(concurrency), '--per-host', String(concurrency), ...extra],
			{cwd: ROOT, env: isomanEnv(), scratch: work, onSpawn: (_child, target) => threads.start(target)},
		);
		threads.stop();
		if (r.code !== 0) throw new Error(`daemon exited ${r.code}: ${r.stderr}`);
		const list = JSON.parse(isoman(['list', '--json', '--data-dir', dataDir]));
		for (const image of list) if (image.status !== 'complete' || image.checksum !== big.sha256) throw new Error(`image ${image.id} is ${image.status}`);
		console.log(threads.table());
		if (noProf) {
			console.log(`${concurrency} × ${sizeMiB} MiB: wall ${fmt(r.ms / 1000)} s (${fmt((big.size * concurrency) / 1e9 / (r.ms / 1000))} GB/s), CPU ${fmt(r.cpuS)} s, peak RSS ${fmt(r.peakRssKiB / 1000, 0)} MB`);
			return;
		}

		const total = new Map();
		let sampled = 0;
		const files = fs.readdirSync(profDir).filter(f => f.endsWith('.cpuprofile'));
		for (const f of files) {
			for (const [k, v] of selfTimes(JSON.parse(fs.readFileSync(path.join(profDir, f), 'utf8')))) {
				total.set(k, (total.get(k) ?? 0) + v);
				if (k !== '(idle)' && !k.startsWith('(idle)')) sampled += v;
			}
		}

		const gb = (big.size * concurrency) / 1e9;
		const rows = [...total].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
		console.log(`${concurrency} × ${sizeMiB} MiB from ${server.kind}: wall ${fmt(r.ms / 1000)} s (${fmt(gb / (r.ms / 1000))} GB/s), CPU ${fmt(r.cpuS)} s (${fmt(r.cpuS / gb)} s/GB), peak RSS ${fmt(r.peakRssKiB / 1000, 0)} MB, ${files.length} profile(s); non-idle samples ${fmt(sampled / 1000)} s`);
		console.log('');
		console.log('| self ms | % of samples | function |');
		console.log('|---:|---:|---|');
		for (const [k, v] of rows) console.log(`| ${v.toFixed(0)} | ${((v / sampled) * 100).toFixed(1)} | \`${k}\` |`);
	} finally {
		await server.stop();
		for (const link of links) fs.rmSync(link, {force: true});
		if (!keep) fs.rmSync(work, {recursive: true, force: true});
	}
}

main().catch(error => {
	console.error(error);
	process.exitCode = 1;
});
