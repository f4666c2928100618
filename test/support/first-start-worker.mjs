// Worker for the concurrent-first-start test. For each round it is sent {dataDir, url, barrier}: it waits at the
// barrier, THEN opens the library (so that several workers create and migrate the same fresh catalogue at once,
// each on its own connection), adds its image and closes. Runs against dist/ (npm test builds first).
import {parentPort} from 'node:worker_threads';

const {Manager} = await import(new URL('../../dist/core/manager.js', import.meta.url).href);
const {loadConfig} = await import(new URL('../../dist/config.js', import.meta.url).href);
const {silentLogger} = await import(new URL('../../dist/core/log.js', import.meta.url).href);

parentPort.on('message', async ({dataDir, url, barrier: shared}) => {
	const barrier = new Int32Array(shared);
	Atomics.add(barrier, 0, 1);
	Atomics.notify(barrier, 0);
	while (Atomics.load(barrier, 1) === 0) Atomics.wait(barrier, 1, 0, 50);
	let manager;
	try {
		manager = new Manager({config: loadConfig({dataDir}, {}), log: silentLogger});
		const image = manager.addNow({url});
		parentPort.postMessage({ok: true, id: image.id});
	} catch (error) {
		parentPort.postMessage({ok: false, name: error.name, code: error.code, message: error.message});
	} finally {
		await manager?.close();
	}
});
parentPort.postMessage({ready: true});
