// Worker for the parallel-add test: opens its own connection through the built manager, waits at a barrier,
// then adds the same image. Runs against dist/ (npm test builds first).
import {parentPort, workerData} from 'node:worker_threads';

const {Manager} = await import(new URL('../../dist/core/manager.js', import.meta.url).href);
const {loadConfig} = await import(new URL('../../dist/config.js', import.meta.url).href);
const {silentLogger} = await import(new URL('../../dist/core/log.js', import.meta.url).href);

const manager = new Manager({config: loadConfig({dataDir: workerData.dataDir}, {}), log: silentLogger});
const barrier = new Int32Array(workerData.barrier);
Atomics.add(barrier, 0, 1);
Atomics.notify(barrier, 0);
while (Atomics.load(barrier, 1) === 0) Atomics.wait(barrier, 1, 0, 50);
try {
	const image = manager.addNow({url: workerData.url});
	parentPort.postMessage({ok: true, id: image.id});
} catch (error) {
	parentPort.postMessage({ok: false, name: error.name, code: error.code, existingId: error.existingId, message: error.message});
} finally {
	await manager.close();
}
