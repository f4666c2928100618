#!/usr/bin/env node
/**
 * What one TUI frame costs: the real App (built dist/) over a real catalogue in a temp dir, 24 files of which 4
 * are downloading, drawn by Ink in debug mode (as run-tui.tsx draws it) into a stand-in 100×30 terminal; each
 * frame is one new progress snapshot. Prints the wall time per frame (p50/p90/p99) and the process's CPU per frame.
 * No network, no downloads: the drawing alone, on whatever CPU is free (run it on a quiet machine).
 *
 *   node bench/frames.mjs [--frames 400] [--no-row-cache]   (after npm run build)
 *
 * --no-row-cache draws with Ink's own Output.get (source/ui/ink-row-cache.ts is what the TUI installs).
 */
import {EventEmitter} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

process.env.NODE_ENV = 'production'; // as the TUI runs (cli.tsx); React's development build is 2× slower
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const argv = process.argv.slice(2);
const value = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const frames = Number(value('--frames', '400'));
if (!fs.existsSync(path.join(DIST, 'ui', 'app.js'))) throw new Error('dist/ is missing: run `npm run build` first');

const imp = p => import(path.join(DIST, p));
const {createElement} = await import('react');
const {render} = await import('ink');
const {loadConfig} = await imp('config.js');
const {Manager} = await imp('core/manager.js');
const {silentLogger} = await imp('core/log.js');
const {App} = await imp('ui/app.js');
const {UiController} = await imp('ui/controller.js');
const {LibraryStore} = await imp('ui/store.js');
const {createTheme} = await imp('ui/theme.js');
if (!argv.includes('--no-row-cache')) (await imp('ui/ink-row-cache.js')).installInkRowCache();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-frames-'));
const config = loadConfig({dataDir: dir}, {});
const manager = new Manager({config, log: silentLogger});
for (const name of ['alpine', 'debian', 'ubuntu', 'fedora', 'rocky', 'arch']) {
	for (let v = 1; v <= 4; v++) manager.addNow({url: `http://127.0.0.1:9/${name}-${v}.0.${v}-amd64-netinst.iso`});
}

const store = new LibraryStore(manager, {maxPerSecond: 1e6});
const controller = new UiController({manager, store, onQuit() {}, canBackground: true, imagesDir: config.imagesDir});
let written = 0;
const stdout = Object.assign(new EventEmitter(), {
	columns: 100,
	rows: 30,
	isTTY: true,
	write() {
		written++;
		return true;
	},
});
const app = createElement(App, {controller, store, manager, dataDir: dir, imagesDir: config.imagesDir, limits: {concurrency: 4, perHost: 4}, ui: {spinners: true}, theme: createTheme({color: true, ascii: false})});
const instance = render(app, {stdout, debug: true, patchConsole: false, exitOnCtrlC: false});
const ids = manager.list().slice(0, 4).map(image => image.id);
const MiB = 1 << 20;

/** One progress snapshot, then wait until Ink has written its frame. */
async function frame(i) {
	const before = written;
	store.setProgress(ids.map((id, k) => ({id, phase: 'downloading', downloaded: (i * 7 + k * 13) * MiB, total: 4096 * MiB, rate: (100 + ((i * 31 + k) % 50)) * MiB, eta: 100 - (i % 90), stalled: false})));
	const deadline = Date.now() + 2000;
	while (written === before) {
		if (Date.now() > deadline) throw new Error(`frame ${i} was not drawn within 2 s`);
		await new Promise(resolve => setImmediate(resolve));
	}
}

try {
	for (let i = 0; i < 50; i++) await frame(i); // warm-up: compile, caches
	const times = [];
	const cpu0 = process.cpuUsage();
	for (let i = 50; i < 50 + frames; i++) {
		const start = performance.now();
		await frame(i);
		times.push(performance.now() - start);
	}

	const cpu = process.cpuUsage(cpu0);
	times.sort((a, b) => a - b);
	const q = p => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
	const mode = argv.includes('--no-row-cache') ? "Ink's own Output.get" : 'row cache';
	console.log(`${frames} frames, 100×30, 4 of 24 rows downloading, ${mode}: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms; CPU ${((cpu.user + cpu.system) / 1000 / frames).toFixed(2)} ms per frame`);
} finally {
	instance.unmount();
	fs.rmSync(dir, {recursive: true, force: true});
}

process.exit(0);
