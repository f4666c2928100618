/**
 * The daemon and the subcommands never load Ink or React (issue 7 §1). Two checks on the built code:
 *  - static: walk every static import (and require) from dist/daemon/run-daemon.js, dist/commands/run-command.js
 *    and dist/cli.js, into node_modules too; nothing reached may resolve to ink, react or the UI. cli.js may reach
 *    the UI only through a dynamic import().
 *  - at run time: a resolve hook records every module a real `--daemon --exit-when-idle` and a real `list` load.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire, isBuiltin} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {describe, expect, it} from 'vitest';
import {CLI, DIST, childEnv} from './helpers.js';

const FORBIDDEN = /[/\\]node_modules[/\\](ink|ink-[^/\\]+|react|react-[^/\\]+|scheduler)[/\\]|[/\\]dist[/\\]ui[/\\]/;

function stripComments(code: string): string {
	return code.replaceAll(/\/\*[\s\S]*?\*\//g, '').replaceAll(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Specifiers of static imports/re-exports and require() calls (not dynamic import()). */
function staticSpecifiers(code: string): string[] {
	const text = stripComments(code);
	const found = new Set<string>();
	for (const m of text.matchAll(/\bimport\s+(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) found.add(m[1]!);
	for (const m of text.matchAll(/\bexport\s+(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g)) found.add(m[1]!);
	for (const m of text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) found.add(m[1]!);
	return [...found];
}

function dynamicSpecifiers(code: string): string[] {
	return [...stripComments(code).matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map(m => m[1]!);
}

function resolveFrom(file: string, specifier: string): string | undefined {
	if (isBuiltin(specifier)) return undefined;
	// Node's own resolution from the importing file (the "require"/"default" export conditions: enough to tell
	// which package a specifier lands in).
	return createRequire(file).resolve(specifier);
}

/** Every file statically reachable from `entry`, with the chain that reached it. */
function walk(entry: string): Map<string, string[]> {
	const seen = new Map<string, string[]>([[entry, [entry]]]);
	const queue = [entry];
	while (queue.length > 0) {
		const file = queue.shift()!;
		if (!/\.(c|m)?js$/.test(file)) continue; // .node binaries, .json
		const code = fs.readFileSync(file, 'utf8');
		for (const specifier of staticSpecifiers(code)) {
			let target: string | undefined;
			try {
				target = resolveFrom(file, specifier);
			} catch {
				// An optional require inside a try block of some package (not installed): not part of our graph.
				continue;
			}

			if (target && !seen.has(target)) {
				seen.set(target, [...seen.get(file)!, target]);
				queue.push(target);
			}
		}
	}

	return seen;
}

describe('module graph', () => {
	it('the walker sees static imports and requires, not dynamic import()', () => {
		const code = `import a from 'a';\nimport {b, c} from "./b.js";\nimport * as d from 'd';\nimport 'side';\nexport {e} from './e.js';\nexport * from 'f';\nconst g = require('g');\nconst h = await import('./ui/h.js');\n// import x from 'commented';\n`;
		expect(staticSpecifiers(code).sort()).toEqual(['./b.js', './e.js', 'a', 'd', 'f', 'g', 'side']);
		expect(dynamicSpecifiers(code)).toEqual(['./ui/h.js']);
		// And it does find ink when something imports it: the UI entry does.
		const ui = path.join(DIST, 'ui', 'run-tui.js');
		if (fs.existsSync(ui)) expect([...walk(ui).keys()].some(f => FORBIDDEN.test(f))).toBe(true);
	});

	// core/engine.js is what the manager loads (dynamically) for its first download.
	for (const entry of ['daemon/run-daemon.js', 'commands/run-command.js', 'cli.js', 'core/engine.js']) {
		it(`nothing statically reachable from dist/${entry} is ink, react or the UI`, () => {
			const graph = walk(path.join(DIST, entry));
			expect(graph.size).toBeGreaterThan(5);
			const bad = [...graph.entries()].filter(([file]) => FORBIDDEN.test(file)).map(([, chain]) => chain.map(f => path.relative(DIST, f)).join(' → '));
			expect(bad).toEqual([]);
			// The walk went into the dependencies the daemon does use.
			const dependency = entry === 'core/engine.js' ? 'undici' : 'better-sqlite3';
			if (entry !== 'cli.js') expect([...graph.keys()].some(f => f.includes(`${path.sep}node_modules${path.sep}${dependency}${path.sep}`))).toBe(true);
		});
	}

	it('cli.js reaches the UI only through a dynamic import()', () => {
		const code = fs.readFileSync(CLI, 'utf8');
		expect(dynamicSpecifiers(code)).toContain('./ui/run-tui.js');
		expect(staticSpecifiers(code).filter(s => s.includes('/ui/') || /^(ink|react)/.test(s))).toEqual([]);
	});

	it('a real daemon run and a real subcommand load no ink or react module, and no package but better-sqlite3', () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isoman-graph-'));
		try {
			const log = path.join(dir, 'modules.txt');
			const hooks = path.join(dir, 'hooks.mjs');
			fs.writeFileSync(
				hooks,
				`import fs from 'node:fs';\nexport async function resolve(specifier, context, next) {\n\tconst result = await next(specifier, context);\n\tfs.appendFileSync(${JSON.stringify(log)}, result.url + '\\n');\n\treturn result;\n}\n`,
			);
			const register = path.join(dir, 'register.mjs');
			fs.writeFileSync(register, `import {register} from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
			const env = childEnv();
			for (const args of [['--daemon', '--exit-when-idle'], ['list', '--json']]) {
				fs.rmSync(log, {force: true});
				const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, '--data-dir', path.join(dir, 'lib'), ...args], {env, encoding: 'utf8'});
				expect(run.status, run.stderr).toBe(0);
				const loaded = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
				expect(loaded.some(url => url.includes('/dist/core/manager.js'))).toBe(true);
				expect(loaded.filter(url => FORBIDDEN.test(url.startsWith('file:') ? fileURLToPath(url) : url))).toEqual([]);
				// Start-up loads one package, the catalogue's: undici, openpgp, ws… load with the work that needs them
				// (each is megabytes of memory and tens of ms of every start of every command).
				const packages = new Set(loaded.flatMap(url => /[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(url)?.[1] ?? []));
				expect([...packages], args.join(' ')).toEqual(['better-sqlite3']);
			}
		} finally {
			fs.rmSync(dir, {recursive: true, force: true});
		}
	});
});
