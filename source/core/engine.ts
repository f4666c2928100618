/**
 * The download engine, loaded only when something is downloaded: undici alone costs ~0.1 s of start-up that
 * `list`, `show` and `add` do not need.
 */
import {tuneForDownloads} from './download/memory.js';

tuneForDownloads();

export {runJob} from './job.js';
export {createHttpClient} from './download/http.js';
export {TransferWorker} from './download/transfer-worker.js';
export {findSignatureUrl} from './signature/probe.js';
export {queryUrl} from './download/query-url.js';
