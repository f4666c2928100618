/** The repository stands on its own: nothing in it reads or cites a document outside it. */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git', 'data']);

function* files(dir: string): Generator<string> {
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		if (SKIP.has(entry.name)) continue;
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) yield* files(full);
		else if (entry.isFile()) yield full;
	}
}

describe('the repository stands on its own', () => {
	it('no source, test, bench or doc file reads the shared folder beside the repo or cites its design sections', () => {
		// Built from parts so this file does not match itself.
		const outside = new RegExp(['\\.\\./', 'shared', '|', 'DESIGN', '(\\.md)? ?§'].join(''));
		const offenders: string[] = [];
		for (const top of ['source', 'test', 'bench', 'docs', 'README.md', '.ci']) {
			const start = path.join(ROOT, top);
			if (!fs.existsSync(start)) continue;
			const list = fs.statSync(start).isDirectory() ? [...files(start)] : [start];
			for (const file of list) {
				const text = fs.readFileSync(file, 'utf8');
				text.split('\n').forEach((line, i) => {
					if (outside.test(line)) offenders.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
				});
			}
		}

		expect(offenders).toEqual([]);
	});

	it('the architecture document exists and names the layers it describes', () => {
		const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
		for (const dir of fs.readdirSync(path.join(ROOT, 'source'), {withFileTypes: true})) {
			if (dir.isDirectory()) expect(doc, `docs/architecture.md does not mention source/${dir.name}`).toContain(`${dir.name}/`);
		}
	});
});
