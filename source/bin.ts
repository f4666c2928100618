#!/usr/bin/env node
/**
 * The `isoman` command (package.json "bin"; the bench and the TUI's hand-off to a daemon run it too). It caps V8's
 * young generation before anything else is loaded, then loads the program (cli.tsx) — dynamically, because the
 * static imports of a module are all loaded before its first line runs, and loading isoman's modules alone grows
 * the young generation to 2 × 8 MiB for good (core/young-generation.ts, bench/README.md "Memory").
 */
import './core/young-generation.js';

await import('./cli.js');
