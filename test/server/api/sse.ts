/** A Server-Sent Events reader for the tests: feed it text as it arrives; each event's one `data:` line, parsed. */
import {expect} from 'vitest';

export function sseReader<T = Record<string, unknown>>(onEvent: (event: T) => void): (chunk: string) => void {
	let buffer = '';
	return chunk => {
		buffer += chunk;
		let end: number;
		while ((end = buffer.indexOf('\n\n')) >= 0) {
			const block = buffer.slice(0, end);
			buffer = buffer.slice(end + 2);
			const data = block.split('\n').filter(l => l.startsWith('data: '));
			// One data line per event: the JSON never spans lines.
			expect(data.length).toBeLessThanOrEqual(1);
			if (data[0]) onEvent(JSON.parse(data[0].slice(6)) as T);
		}
	};
}
