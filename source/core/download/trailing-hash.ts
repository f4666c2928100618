/**
 * The hash of a `.part`, computed on the second core by the process's hashing thread (hash-thread.ts) from the
 * file itself, trailing the writes: `advance(size)` after each write says how far the part is written (two atomic
 * stores and a doorbell, no message), `digest()` waits until the thread has caught up and answers the hex digest.
 *
 * Because the bytes hashed are read back from the file, the digest is the file's, not the network's: a part
 * changed behind the writer's back cannot get a digest it does not have. One thread serves every transfer
 * (one extra V8 isolate in all, however many downloads run); it holds the process open only while a job is open.
 */
import {MessageChannel, Worker, type MessagePort} from 'node:worker_threads';
import type {ChecksumAlgorithm} from '../types.js';
import {capYoungGeneration} from '../young-generation.js';
import {threadFlags, threadUrl} from './thread-module.js';
import {HASHED, TARGET, type HashCommand, type HashFailure, type HashReply, type HashThreadData} from './hash-protocol.js';

export {threadFlags} from './thread-module.js';

type Pending = {resolve: (reply: HashReply) => void; op: HashReply['op']};

type JobState = {
	failure: HashFailure | undefined;
	waiting: Pending[];
};

class HashThread {
	private readonly worker: Worker;
	private readonly port: MessagePort;
	private readonly bell: Int32Array;
	private readonly jobs = new Map<number, JobState>();
	private nextJob = 1;
	/** Why the thread is gone, once it is. */
	private dead: Error | undefined;

	constructor() {
		const {port1, port2} = new MessageChannel();
		const doorbell = new SharedArrayBuffer(4);
		this.bell = new Int32Array(doorbell);
		this.port = port1;
		const data: HashThreadData = {port: port2, doorbell};
		this.worker = new Worker(threadUrl('hash-thread.js', import.meta.url), {
			workerData: data,
			transferList: [port2],
			...(threadFlags(process.execArgv) ? {execArgv: threadFlags(process.execArgv)} : {}),
			// It holds one 1 MiB read buffer and a hash state per job: a small heap is plenty.
			resourceLimits: {maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8},
			stdout: false,
			stderr: false,
		});
		this.port.on('message', (reply: HashReply) => this.onReply(reply));
		this.port.unref();
		// The thread's isolate, once created, has put V8's growth factor back to its default.
		this.worker.once('online', capYoungGeneration);
		this.worker.on('error', error => this.die(error));
		this.worker.on('exit', code => this.die(new Error(`the hashing thread stopped (exit code ${code})`)));
		this.worker.unref();
	}

	get broken(): Error | undefined {
		return this.dead;
	}

	open(fd: number, algorithm: ChecksumAlgorithm, control: SharedArrayBuffer): number {
		const job = this.nextJob++;
		this.jobs.set(job, {failure: undefined, waiting: []});
		if (this.jobs.size === 1) {
			this.worker.ref();
			this.port.ref();
		}
		this.send({op: 'open', job, fd, algorithm, control});
		return job;
	}

	failure(job: number): HashFailure | undefined {
		return this.jobs.get(job)?.failure;
	}

	/** Sends `command` and resolves with the thread's answer (a `failed` reply resolves every waiter of the job). */
	async ask(command: HashCommand & {op: 'reset' | 'digest' | 'close'}, answer: HashReply['op']): Promise<HashReply> {
		if (this.dead) throw this.dead;
		const state = this.jobs.get(command.job);
		if (!state) throw new Error(`hash job ${command.job} is not open`);
		const reply = new Promise<HashReply>(resolve => state.waiting.push({resolve, op: answer}));
		this.send(command);
		return reply;
	}

	ring(): void {
		Atomics.add(this.bell, 0, 1);
		Atomics.notify(this.bell, 0);
	}

	forget(job: number): void {
		this.jobs.delete(job);
		if (this.jobs.size === 0) {
			this.worker.unref();
			this.port.unref();
		}
	}

	private send(command: HashCommand): void {
		this.port.postMessage(command);
		this.ring();
	}

	private onReply(reply: HashReply): void {
		const state = this.jobs.get(reply.job);
		if (!state) return;
		if (reply.op === 'failed') {
			state.failure = reply.failure;
			// A failed job answers no digest (until a reset): its waiters get the failure.
			state.waiting = state.waiting.filter(w => {
				if (w.op !== 'digest') return true;
				w.resolve(reply);
				return false;
			});
			return;
		}

		if (reply.op === 'reset') state.failure = undefined;

		const index = state.waiting.findIndex(w => w.op === reply.op);
		if (index < 0) return;
		const [w] = state.waiting.splice(index, 1);
		w!.resolve(reply);
	}

	private die(error: Error): void {
		this.dead ??= error;
		if (thread === this) thread = undefined;
		const failed: HashFailure = {message: this.dead.message, code: undefined};
		for (const [job, state] of this.jobs) {
			state.failure ??= failed;
			for (const w of state.waiting.splice(0)) w.resolve(w.op === 'closed' ? {op: 'closed', job} : {op: 'failed', job, failure: failed});
		}
	}
}

let thread: HashThread | undefined;

/** The thrown error when hashing failed: the caller turns the failure into its own error type. */
export class HashError extends Error {
	constructor(readonly failure: HashFailure) {
		super(failure.message);
		this.name = 'HashError';
	}
}

export class TrailingHash {
	private readonly thread: HashThread;
	private readonly job: number;
	private readonly control = new BigInt64Array(new SharedArrayBuffer(16));
	private closed = false;

	/** Starts hashing `fd` (which the caller keeps open until close() resolves) from byte 0 up to `size`. */
	constructor(fd: number, algorithm: ChecksumAlgorithm, size: number) {
		thread ??= new HashThread();
		this.thread = thread;
		Atomics.store(this.control, TARGET, BigInt(size));
		this.job = this.thread.open(fd, algorithm, this.control.buffer as SharedArrayBuffer);
	}

	/** Bytes hashed so far. */
	get hashed(): number {
		return Number(Atomics.load(this.control, HASHED));
	}

	/** Throws the hashing failure, if one happened (a read error, or the file shorter than written). */
	check(): void {
		const failure = this.thread.failure(this.job);
		if (failure) throw new HashError(failure);
	}

	/** The part now holds `size` bytes: hash up to there. */
	advance(size: number): void {
		Atomics.store(this.control, TARGET, BigInt(size));
		this.thread.ring();
	}

	/** Forgets everything hashed (call before the part is emptied; then advance from 0). */
	async reset(): Promise<void> {
		// Nothing is left to hash before the reset arrives, so no byte of the old content enters the new hash.
		Atomics.store(this.control, TARGET, 0n);
		const reply = await this.thread.ask({op: 'reset', job: this.job}, 'reset');
		if (reply.op === 'failed') throw new HashError(reply.failure);
	}

	/** The hex digest of the first `size` bytes (the size last advanced to), once they are hashed. */
	async digest(): Promise<string> {
		this.check();
		const reply = await this.thread.ask({op: 'digest', job: this.job}, 'digest');
		if (reply.op === 'failed') throw new HashError(reply.failure);
		if (reply.op !== 'digest') throw new Error(`unexpected reply ${reply.op}`);
		return reply.hex;
	}

	/** Stops hashing; once it resolves, the descriptor is no longer read and may be closed. */
	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		try {
			await this.thread.ask({op: 'close', job: this.job}, 'closed');
		} catch {
			// The thread is gone: nothing reads the descriptor.
		} finally {
			this.thread.forget(this.job);
		}
	}
}
