// Worker for the lock race test: in each round, try once to take the library lock (from dist/, built first).
import {workerData} from 'node:worker_threads';

const {acquireLock, LockHeldError} = await import(new URL('../../dist/core/lock.js', import.meta.url).href);
const state = new Int32Array(workerData.state);
// state[0]: round (0 = not started, -1 = stop); state[1]: winners this round; state[2]: workers done this round.
let seen = 0;
for (;;) {
	Atomics.wait(state, 0, seen);
	const round = Atomics.load(state, 0);
	if (round === -1) break;
	seen = round;
	try {
		acquireLock(workerData.dataDir, 'test');
		Atomics.add(state, 1, 1);
	} catch (error) {
		if (!(error instanceof LockHeldError)) Atomics.add(state, 3, 1);
	}

	Atomics.add(state, 2, 1);
	Atomics.notify(state, 2);
}
