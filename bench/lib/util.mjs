/** Small helpers shared by the benchmarks: processes, /proc, statistics, formatting. No dependencies. */
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
export const MiB = 1024 * 1024;

/** Absolute path of `name` on PATH, or undefined. */
export function which(name) {
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		if (!dir) continue;
		const file = path.join(dir, name);
		try {
			fs.accessSync(file, fs.constants.X_OK);
			if (fs.statSync(file).isFile()) return file;
		} catch {}
	}

	return undefined;
}

export function toolVersion(cmd, args = ['--version']) {
	try {
		const out = execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
		return out.split('\n')[0].trim();
	} catch (error) {
		return String(error.stderr ?? '').split('\n')[0].trim() || 'unknown';
	}
}

let clkTck;
export function clockTicks() {
	if (clkTck === undefined) {
		try {
			clkTck = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;
		} catch {
			clkTck = 100;
		}
	}

	return clkTck;
}

/** utime+stime of a live process in seconds, or undefined when it is gone. */
export function procCpuSeconds(pid) {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// fields[0] is state (field 3); utime is field 14, stime 15.
		return (Number(fields[11]) + Number(fields[12])) / clockTicks();
	} catch {
		return undefined;
	}
}

/** VmHWM (peak RSS) of a live process in KiB, or undefined. */
export function procPeakRssKiB(pid) {
	try {
		const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) : undefined;
	} catch {
		return undefined;
	}
}

/** Direct children of a process (Linux /proc/<pid>/task/<pid>/children). */
export function procChildren(pid) {
	try {
		return fs
			.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
			.trim()
			.split(/\s+/)
			.filter(Boolean)
			.map(Number);
	} catch {
		return [];
	}
}

const TIME = which('time') ? '/usr/bin/time' : undefined;
export const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : TIME;

let seq = 0;

/**
 * Runs a command to completion and measures it: wall time (ms), exit code, CPU seconds (user+sys) and peak RSS
 * (KiB) of the process tree, from GNU time when installed, else by polling /proc every 100 ms (direct child only).
 * `onSpawn(child)` is called with the ChildProcess (for killing it mid-run).
 */
export async function measure(cmd, args, opts = {}) {
	const scratch = opts.scratch ?? os.tmpdir();
	const timeFile = path.join(scratch, `time-${process.pid}-${++seq}.txt`);
	const useTime = Boolean(gnuTime) && !opts.noTime;
	const argv = useTime ? [gnuTime, '-o', timeFile, '-f', '%e %U %S %M', cmd, ...args] : [cmd, ...args];
	const start = performance.now();
	const child = spawn(argv[0], argv.slice(1), {
		cwd: opts.cwd,
		env: opts.env ?? process.env,
		stdio: ['ignore', opts.captureStdout ? 'pipe' : 'ignore', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout?.on('data', d => {
		stdout += d;
		opts.onStdout?.(String(d));
	});
	child.stderr.on('data', d => {
		if (stderr.length < 64 * 1024) stderr += d;
	});
	let polledRss = 0;
	let polledCpu = 0;
	const target = () => (useTime ? procChildren(child.pid)[0] : child.pid);
	const poll = setInterval(() => {
		const pid = target();
		if (!pid) return;
		polledRss = Math.max(polledRss, procPeakRssKiB(pid) ?? 0);
		polledCpu = Math.max(polledCpu, procCpuSeconds(pid) ?? 0);
	}, 100);
	opts.onSpawn?.(child, target);
	const [code, signal] = await new Promise(resolve => child.once('exit', (c, s) => resolve([c, s])));
	const ms = performance.now() - start;
	clearInterval(poll);
	let cpuS = polledCpu;
	let peakRssKiB = polledRss;
	if (useTime) {
		try {
			const text = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop();
			const [, user, sys, rss] = text.split(' ').map(Number);
			if (Number.isFinite(user)) cpuS = user + sys;
			if (Number.isFinite(rss)) peakRssKiB = rss;
		} catch {}

		fs.rmSync(timeFile, {force: true});
	}

	// GNU time reports a signalled child as "Command terminated by signal N" and exits 128+N.
	return {ms, code, signal, stdout, stderr, cpuS, peakRssKiB, rssSource: useTime ? 'GNU time %M' : '/proc VmHWM poll'};
}

// ---- statistics and formatting ----

export function median(values) {
	const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
	if (v.length === 0) return NaN;
	const mid = Math.floor(v.length / 2);
	return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function summary(values) {
	const v = values.filter(x => Number.isFinite(x));
	return {median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, n: v.length};
}

export function fmt(x, digits = 2) {
	if (!Number.isFinite(x)) return '–';
	if (Math.abs(x) >= 1000) return x.toFixed(0);
	if (Math.abs(x) >= 100) return x.toFixed(Math.max(0, digits - 2));
	if (Math.abs(x) >= 10) return x.toFixed(Math.max(0, digits - 1));
	return x.toFixed(digits);
}

export const gbps = (bytes, ms) => bytes / 1e9 / (ms / 1000);

export function bytesText(n) {
	if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 ? 2 : 0)} GiB`;
	if (n >= MiB) return `${(n / MiB).toFixed(n % MiB ? 1 : 0)} MiB`;
	return `${n} B`;
}

/** Markdown table from a header row and rows (all strings). */
export function markdownTable(header, rows) {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i] ?? '').length)));
	const line = cells => `| ${cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
	return [line(header), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Free bytes on the filesystem holding `dir`. */
export function freeBytes(dir) {
	const s = fs.statfsSync(dir);
	return s.bavail * s.bsize;
}

/** Machine facts for the report header. */
export function machineInfo() {
	const cpus = os.cpus();
	let model = cpus[0]?.model ?? 'unknown';
	let kernel = os.release();
	let fsType = '';
	try {
		fsType = execFileSync('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', process.cwd()], {encoding: 'utf8'}).trim();
	} catch {}

	return {
		cpu: model.trim(),
		cores: cpus.length,
		node: process.version,
		kernel: `${os.type()} ${kernel} ${os.arch()}`,
		memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
		filesystem: fsType,
		hypervisor: (() => {
			try {
				return /hypervisor/.test(fs.readFileSync('/proc/cpuinfo', 'utf8')) ? 'virtual machine' : 'bare metal';
			} catch {
				return '';
			}
		})(),
	};
}
