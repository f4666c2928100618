/**
 * Thread priorities for the TUI (Linux; elsewhere nothing changes): the thread that reads keys and draws keeps the
 * process's priority, every other thread of the process — the transfer thread, the hashing thread, libuv's pool
 * threads that copy the writes into the page cache, V8's helper threads — runs at a lower one, so that a key wakes
 * a thread that gets a CPU at once even while the downloads keep both busy (bench item 8). On Linux `setpriority` on a
 * thread id changes that thread only, and a thread inherits the priority of the thread that creates it.
 */
import fs from 'node:fs';
import os from 'node:os';

/**
 * The transfer thread's nice value (and so its helpers'). With Linux's autogroups (or a session cgroup) a nice value
 * only orders the threads of one session, so this takes CPU from the drawing thread's own downloads, not from other
 * programs. Bench item 8, A/B in the same minutes (bench/README.md, "Cheaper frames"): key → frame p99 598–636 ms at
 * 5, 96–317 ms at 10, 120–308 ms at 19; 10 rather than 19 so that where there are no autogroups the downloads are
 * not left only the crumbs of every other busy program on the machine.
 */
export const DOWNLOAD_NICE = 10;

function setNice(tid: number, nice: number): void {
	try {
		if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
	} catch {
		// Gone since it was listed, or not ours to change: it keeps its priority.
	}
}

/** Lowers the calling thread's priority to `nice`. */
export function lowerThisThread(nice = DOWNLOAD_NICE): void {
	let tid: number;
	try {
		tid = Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));
	} catch {
		return;
	}

	if (Number.isInteger(tid) && tid > 0) setNice(tid, nice);
}

/** Lowers every thread of the process but the main one (the process id) to `nice`. */
export function lowerOtherThreads(nice = DOWNLOAD_NICE): void {
	let tids: string[];
	try {
		tids = fs.readdirSync('/proc/self/task');
	} catch {
		return;
	}

	for (const tid of tids) if (Number(tid) !== process.pid) setNice(Number(tid), nice);
}
