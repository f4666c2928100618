/**
 * Keeps V8's young generation at its initial 2 × 1 MiB for the whole life of the process (the TUI, the daemon,
 * every command). bin.ts imports this module before it loads the rest of the program.
 *
 * V8 doubles the young generation each time a scavenge finds it busy, up to 2 × 16 MiB on 64-bit, and never gives
 * it back: module loading alone took it to 2 × 8 MiB and four downloads to the maximum, ~20–30 MB of a daemon's
 * peak RSS (bench/README.md, "Memory"). `--max-semi-space-size` would cap it but is read only when the heap is
 * set up, from node's command line, which `isoman` started as a bin, by the TUI's hand-off or by a user cannot
 * be relied on to carry. `--semi-space-growth-factor` is read at each growth, so 1 stops the growth — but V8
 * clamps that flag back to 2 whenever an isolate is created (a Worker), so `capYoungGeneration()` is called
 * again once each worker is up (trailing-hash.ts).
 */
import v8 from 'node:v8';

export function capYoungGeneration(): void {
	try {
		v8.setFlagsFromString('--semi-space-growth-factor=1');
	} catch {
		// Memory is then what V8 makes it.
	}
}

capYoungGeneration();
