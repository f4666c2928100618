/**
 * The layering, checked on the source: the front ends (source/ui, source/daemon, source/commands, source/server
 * and source/cli.tsx) reach the core only through its public entry, source/core/index.ts, and the core never
 * imports Ink, React or a front end. Every import counts: static, dynamic `import()`, `import type`, `export … from`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = path.join(ROOT, 'source');
const CORE = path.join(SOURCE, 'core');
const CORE_ENTRY = path.join(CORE, 'index.ts');
/** Front ends; a directory that does not exist (yet) has no files to check. */
const FRONT_ENDS = ['ui', 'daemon', 'commands', 'server'].map(dir => path.join(SOURCE, dir));
const CLI = path.join(SOURCE, 'cli.tsx');
const UI_PACKAGES = /^(ink|ink-[\w-]+|@[\w-]+\/ink[\w-]*|react|react-[\w-]+|react\/.*)$/;

function stripComments(code: string): string {
	return code.replaceAll(/\/\*[\s\S]*?\*\//g, '').replaceAll(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module specifier in a TypeScript file: imports (type-only too), re-exports, dynamic import(). */
function specifiers(code: string): string[] {
	const text = stripComments(code);
	const found = new Set<string>();
	for (const m of text.matchAll(/\bimport\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) found.add(m[1]!);
	for (const m of text.matchAll(/\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g)) found.add(m[1]!);
	for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.add(m[1]!);
	return [...found];
}

/** The specifiers a module loads when it is loaded: value imports and re-exports, not types nor import(). */
function staticSpecifiers(code: string): string[] {
	const text = stripComments(code);
	const found = new Set<string>();
	for (const m of text.matchAll(/\bimport\s+(?!type\s)(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) found.add(m[1]!);
	for (const m of text.matchAll(/\bexport\s+(?!type\s)(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g)) found.add(m[1]!);
	return [...found];
}

function filesUnder(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	return fs
		.readdirSync(dir, {recursive: true, encoding: 'utf8'})
		.filter(name => /\.tsx?$/.test(name))
		.map(name => path.join(dir, name));
}

/** A relative specifier as the source file it names (`./x.js` is `./x.ts` or `./x.tsx`). */
function sourceFileOf(from: string, specifier: string): string | undefined {
	if (!specifier.startsWith('.')) return undefined;
	const target = path.resolve(path.dirname(from), specifier);
	const base = target.replace(/\.js$/, '');
	for (const candidate of [`${base}.ts`, `${base}.tsx`, path.join(target, 'index.ts'), target]) if (fs.existsSync(candidate)) return candidate;
	return base + '.ts';
}

const rel = (file: string) => path.relative(ROOT, file);
const inside = (dir: string, file: string) => file.startsWith(dir + path.sep);

describe('import graph of the source', () => {
	it('the scanner sees every kind of import, type-only ones included', () => {
		const code = [
			"import a from './a.js';",
			"import type {B} from '../core/b.js';",
			"import {type C, d} from './c.js';",
			"import './side.js';",
			"export {e} from './e.js';",
			"export type {F} from './f.js';",
			"export * from './g.js';",
			"const h = await import('./h.js');",
			"// import x from './commented.js';",
		].join('\n');
		expect(specifiers(code).sort()).toEqual(['../core/b.js', './a.js', './c.js', './e.js', './f.js', './g.js', './h.js', './side.js']);
	});

	it('front ends import core only through source/core/index.ts', () => {
		const files = [...FRONT_ENDS.flatMap(filesUnder), CLI];
		expect(files.length).toBeGreaterThan(20);
		const bad: string[] = [];
		for (const file of files) {
			for (const specifier of specifiers(fs.readFileSync(file, 'utf8'))) {
				const target = sourceFileOf(file, specifier);
				if (target && inside(CORE, target) && target !== CORE_ENTRY) bad.push(`${rel(file)} imports ${specifier}`);
			}
		}

		expect(bad, 'front ends must import core/index.js (add what they need to its exports)').toEqual([]);
	});

	it('the core never imports ink, react or a front end', () => {
		const files = filesUnder(CORE);
		expect(files).toContain(CORE_ENTRY);
		const bad: string[] = [];
		for (const file of files) {
			for (const specifier of specifiers(fs.readFileSync(file, 'utf8'))) {
				const target = sourceFileOf(file, specifier);
				const frontEnd = target !== undefined && (FRONT_ENDS.some(dir => inside(dir, target)) || target === CLI);
				if (UI_PACKAGES.test(specifier) || frontEnd) bad.push(`${rel(file)} imports ${specifier}`);
			}
		}

		expect(bad).toEqual([]);
	});

	it('the public entry does not load the download engine (undici and the transfer code load with the first download)', () => {
		const entry = specifiers(fs.readFileSync(CORE_ENTRY, 'utf8'));
		expect(entry.filter(s => /engine|download\//.test(s))).toEqual([]);
		// Nor does anything it loads: every module a static value import reaches from the entry (a daemon, `list`
		// and `show` load exactly these; undici alone is ~18 MB of memory and ~0.1 s of start-up).
		const reached = new Set<string>();
		const packages = new Set<string>();
		const todo = [CORE_ENTRY];
		while (todo.length > 0) {
			const file = todo.pop()!;
			if (reached.has(file)) continue;
			reached.add(file);
			for (const specifier of staticSpecifiers(fs.readFileSync(file, 'utf8'))) {
				const target = sourceFileOf(file, specifier);
				if (target) todo.push(target);
				else packages.add(specifier);
			}
		}

		expect(reached.size).toBeGreaterThan(20);
		const engine = [...reached].map(rel).filter(f => /core\/(job|engine|download\/(http|transfer|part-file|trailing-hash|hash-thread))\.ts$/.test(f));
		expect(engine).toEqual([]);
		expect([...packages].filter(p => p === 'undici' || p === 'node:worker_threads' || p === 'openpgp')).toEqual([]);
	});
});
