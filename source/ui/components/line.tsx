/**
 * One terminal line of a known width. Every line whose text changes while downloads run (tree rows, the header,
 * the status line, the details) is drawn through this, for two reasons measured in the TUI (bench/README.md, "Cheaper
 * frames"):
 *  - Ink's <Text> leaves its height to Yoga, which asks Ink to measure the text on every layout in which it
 *    changed, and Ink 6 keeps every text it ever measured in a module-level cache that is never emptied (Ink issue
 *    #986): a progress row that changes ten times a second grows the TUI's heap without end. A text element
 *    with a fixed width and height is never measured.
 *  - It is one element, not a Box around a Text: one Yoga node less per line.
 * It is Ink's own text element (`ink-text`, what <Text> renders), given a fixed size; test/ui/ink-contract.test.tsx
 * pins what it relies on. Children are strings and <Text>s (styled pieces); text wider than `width` is still cut at
 * the edge (`truncate-end`), but callers cut it themselves (`fitSegments`), so that Ink never has to.
 */
import {createElement, type ReactNode} from 'react';

export function Line({width, children}: {width: number; children?: ReactNode}) {
	const style = {width: Math.max(0, width), height: 1, flexGrow: 0, flexShrink: 0, flexDirection: 'row', textWrap: 'truncate-end'};
	return createElement('ink-text', {style}, children);
}
