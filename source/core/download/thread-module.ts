/** Where a worker thread's module is and which of the process's flags it starts with (the hashing and transfer threads). */
import fs from 'node:fs';

/** `file`, the compiled module beside `base` (a module's import.meta.url); under the test runner (TypeScript sources) the built copy. */
export function threadUrl(file: string, base: string): URL {
	const sibling = new URL(file, base);
	if (fs.existsSync(sibling)) return sibling;
	const built = new URL(sibling.href.replace(/\/source\/(?!.*\/source\/)/, '/dist/'));
	if (fs.existsSync(built)) return built;
	throw new Error(`a thread's module is missing (${sibling.pathname}): build isoman first (npm run build)`);
}

/**
 * The flags a thread starts with: the process's own (--cpu-prof, V8's, …), which Node passes on by default,
 * except when the process runs a main script given on the command line (`node -e CODE`, `--input-type`): the
 * thread would take those for its own and stop before it starts, so it gets none.
 */
export function threadFlags(execArgv: readonly string[]): string[] | undefined {
	return execArgv.some(flag => /^-[ep]$|^--(eval|print|input-type|test|watch|check)\b/.test(flag)) ? [] : undefined;
}
