/**
 * The hashing thread (one per process, shared by every transfer; started by trailing-hash.ts). It hashes each
 * `.part` from the file itself, trailing its writer: the main thread writes a batch, then publishes the part's new
 * size in shared memory and rings a doorbell; this thread reads the new bytes back with pread (from the page cache:
 * they were just written) into one reused buffer and hashes them. No buffer crosses threads and nothing is posted
 * per batch, so the main thread's cost of a batch is two atomic stores.
 *
 * It shares the file descriptors the main thread opened (threads share the process's fd table); a descriptor is
 * closed only after its job was closed here (`close` is answered once no read of it is under way).
 *
 * Commands arrive on a MessagePort read synchronously (receiveMessageOnPort) between reads, and the thread sleeps
 * in Atomics.wait on the doorbell when no job has bytes to hash, so it costs nothing while downloads are idle.
 * Jobs take turns, one read each, so one slow or large part never starves the others.
 */
import type {Hash} from 'node:crypto';
import fs from 'node:fs';
import {receiveMessageOnPort, workerData} from 'node:worker_threads';
import type {ChecksumAlgorithm} from '../types.js';
import {createHasher} from '../checksum/algorithms.js';
import {CHANGED_BEHIND_OUR_BACK} from './errors.js';
import {HASHED, READ_BYTES, TARGET, type HashCommand, type HashFailure, type HashReply, type HashThreadData} from './hash-protocol.js';

type Job = {
	id: number;
	fd: number;
	algorithm: ChecksumAlgorithm;
	hash: Hash;
	control: BigInt64Array;
	hashed: number;
	digestWanted: boolean;
	broken: boolean;
};

function main(): void {
	const {port, doorbell} = workerData as HashThreadData;
	const bell = new Int32Array(doorbell);
	const jobs = new Map<number, Job>();
	const buffer = Buffer.allocUnsafe(READ_BYTES);
	const reply = (message: HashReply) => port.postMessage(message);

	const fail = (job: Job, failure: HashFailure) => {
		job.broken = true;
		reply({op: 'failed', job: job.id, failure});
	};

	const handle = (command: HashCommand) => {
		if (command.op === 'open') {
			const control = new BigInt64Array(command.control);
			jobs.set(command.job, {
				id: command.job,
				fd: command.fd,
				algorithm: command.algorithm,
				hash: createHasher(command.algorithm),
				control,
				hashed: 0,
				digestWanted: false,
				broken: false,
			});
			return;
		}

		const job = jobs.get(command.job);
		if (command.op === 'close') {
			jobs.delete(command.job);
			reply({op: 'closed', job: command.job});
			return;
		}

		if (!job) return;
		if (command.op === 'reset') {
			job.hash = createHasher(job.algorithm);
			job.hashed = 0;
			job.broken = false;
			job.digestWanted = false;
			Atomics.store(job.control, HASHED, 0n);
			reply({op: 'reset', job: job.id});
			return;
		}

		job.digestWanted = true;
	};

	/** One read of `job`; true when it hashed something. */
	const step = (job: Job): boolean => {
		if (job.broken) return false;
		const target = Number(Atomics.load(job.control, TARGET));
		if (job.hashed >= target) {
			if (job.digestWanted) {
				job.digestWanted = false;
				reply({op: 'digest', job: job.id, hex: job.hash.copy().digest('hex')});
			}

			return false;
		}

		let n: number;
		try {
			n = fs.readSync(job.fd, buffer, 0, Math.min(buffer.length, target - job.hashed), job.hashed);
		} catch (error) {
			const code = (error as {code?: unknown}).code;
			fail(job, {message: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined});
			return false;
		}

		if (n === 0) {
			// Written bytes that are not in the file any more: something else truncated it.
			fail(job, {message: `was truncated by something else during the download (it ends at byte ${job.hashed}, ${target} were written)`, code: CHANGED_BEHIND_OUR_BACK});
			return false;
		}

		job.hash.update(buffer.subarray(0, n));
		job.hashed += n;
		Atomics.store(job.control, HASHED, BigInt(job.hashed));
		return true;
	};

	for (;;) {
		// Read the doorbell before looking for work: a ring after this load makes the wait below return at once.
		const seen = Atomics.load(bell, 0);
		for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) handle(m.message as HashCommand);
		let worked = false;
		for (const job of jobs.values()) if (step(job)) worked = true;
		if (!worked) Atomics.wait(bell, 0, seen);
	}
}

main();
