/**
 * Keeping a download's memory flat (measured: bench/README.md, "Memory").
 *
 * - Every 64 KiB socket read is a new ArrayBuffer outside V8's heap, freed only when the small JS object holding
 *   it is collected (and, once that object is promoted, only by a full collection). V8's young generation fills slowly at this allocation pattern, so tens of MB of dead socket
 *   buffers pile up between scavenges. `collectYoung(bytes)` runs a young-generation GC every
 *   YOUNG_GC_EVERY_BYTES written (all transfers together), on a young generation that is almost all garbage.
 * - V8 tiers undici's llhttp WebAssembly up to TurboFan in the background, which holds ~30 MB of compiler memory
 *   for a moment at the start of the first download. Liftoff's code parses a response as fast when the body is
 *   one long run of bytes (the parser only counts them), so the engine keeps to it: `--liftoff-only`, set before
 *   undici compiles its parser.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Measured (bench/README.md, "Memory"): one transfer, whose chunks are written as they are, 8 MiB (4 MiB cost
 * ~0.1 s of main-thread CPU per GB for no lower peak). Several, whose chunks are copied into batch buffers
 * (part-file.ts) so that none is live across a scavenge, 4 MiB: it frees the dead ones sooner (112–115 MB against
 * 116–123 with 8 MiB for 4 × 512 MiB). When several transfers kept their chunks, 2–4 MiB promoted them.
 */
export const YOUNG_GC_EVERY_BYTES = 8 * 1024 * 1024;
export const YOUNG_GC_EVERY_BYTES_SEVERAL = 4 * 1024 * 1024;

type Gc = (options?: {type?: 'minor' | 'major'; execution?: 'sync' | 'async'}) => void;

let gc: Gc | undefined;
let since = 0;

/** Sets the engine's V8 options; call once, before the first HTTP client is made. Never throws. */
export function tuneForDownloads(): void {
	if (gc) return;
	try {
		v8.setFlagsFromString('--liftoff-only');
		v8.setFlagsFromString('--expose-gc');
		gc = vm.runInNewContext('gc') as Gc;
	} catch {
		// Memory is then what V8 makes it; nothing else depends on this.
		gc = () => undefined;
	}
}

/** Counts `bytes` written; every YOUNG_GC_EVERY_BYTES (…_SEVERAL while `several` transfers run), a young-generation collection. */
export function collectYoung(bytes: number, several = false): void {
	since += bytes;
	if (since < (several ? YOUNG_GC_EVERY_BYTES_SEVERAL : YOUNG_GC_EVERY_BYTES) || !gc) return;
	since = 0;
	gc({type: 'minor'});
}
