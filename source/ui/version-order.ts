/**
 * Version ordering for the tree: numbers compare as numbers (3.20 > 3.9), words as text, and a pre-release
 * word (alpha, beta, rc, pre, dev…) sorts before the release it qualifies (2.0-rc1 < 2.0 < 2.0.1). Pure.
 */
const PRE = /^(?:a|alpha|b|beta|c|rc|pre|preview|dev|snapshot|nightly|m)\d*$/i;

type Part = number | string;

function parts(version: string): Part[] {
	const out: Part[] = [];
	for (const m of version.toLowerCase().matchAll(/\d+|[a-z]+/g)) {
		out.push(/^\d/.test(m[0]) ? Number(m[0]) : m[0]);
	}

	return out;
}

/** Negative when a < b. */
export function compareVersions(a: string, b: string): number {
	const pa = parts(a);
	const pb = parts(b);
	const n = Math.max(pa.length, pb.length);
	for (let i = 0; i < n; i++) {
		const x = pa[i];
		const y = pb[i];
		if (x === y) continue;
		// One ran out: a pre-release word on the longer side makes it older (2.0-rc1 < 2.0), anything else newer.
		if (x === undefined) return typeof y === 'string' && PRE.test(y) ? 1 : -1;
		if (y === undefined) return typeof x === 'string' && PRE.test(x) ? -1 : 1;
		if (typeof x === 'number' && typeof y === 'number') return x - y;
		// A number against a word: the number is the newer (1.0.1 > 1.0a).
		if (typeof x === 'number') return 1;
		if (typeof y === 'number') return -1;
		const xp = PRE.test(x);
		const yp = PRE.test(y);
		if (xp !== yp) return xp ? -1 : 1;
		return x < y ? -1 : 1;
	}

	return a < b ? -1 : a > b ? 1 : 0;
}
