import {describe, expect, it} from 'vitest';
import {Throttle} from '../../source/core/throttle.js';
import {waitFor} from '../support/library.js';

describe('Throttle', () => {
	it('turns a synchronous burst into one run, then waits out the interval before the next', async () => {
		let clock = 1000;
		const runs: number[] = [];
		const throttle = new Throttle(() => runs.push(clock), 100, () => clock);
		for (let i = 0; i < 50; i++) throttle.request();
		await waitFor(() => runs.length === 1, {what: 'first run'});
		clock = 1040;
		throttle.request();
		throttle.request();
		expect(runs).toEqual([1000]);
		clock = 1100;
		throttle.flush();
		expect(runs).toEqual([1000, 1100]);
		throttle.flush();
		expect(runs).toHaveLength(2);
	});

	it('cancel drops a waiting run', async () => {
		let runs = 0;
		const throttle = new Throttle(() => runs++, 0);
		throttle.request();
		throttle.cancel();
		const marker = new Throttle(() => {}, 0);
		let after = false;
		marker.request();
		setTimeout(() => (after = true), 5);
		await waitFor(() => after, {what: 'a later timer'});
		expect(runs).toBe(0);
	});
});
