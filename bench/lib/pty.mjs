/**
 * Runs a program in a pseudo-terminal of a given size through util-linux `script` (no native module needed):
 * everything the program writes to its terminal arrives on our pipe, timestamped as it comes, and what we write
 * goes to its keyboard. `script -q -f -e -c "stty rows R cols C; exec CMD" /dev/null`: the shell execs the
 * program, so the pty's process is the program itself (its pid is the one whose CPU we read).
 */
import {spawn} from 'node:child_process';
import {procChildren, sleep, which} from './util.mjs';

const quote = s => `'${String(s).replaceAll("'", "'\\''")}'`;

export function ptyAvailable() {
	return which('script') ? undefined : 'util-linux `script` not installed (needed for a pseudo-terminal)';
}

export function startInPty(argv, {cols = 80, rows = 24, env = process.env, cwd} = {}) {
	const command = `stty rows ${rows} cols ${cols} 2>/dev/null; exec ${argv.map(quote).join(' ')}`;
	const started = performance.now();
	const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {cwd, env, stdio: ['pipe', 'pipe', 'pipe']});
	const session = {
		child,
		started,
		bytes: 0,
		/** Everything written to the terminal, as text (kept whole: at most a few MB in these benchmarks). */
		text: '',
		/** [timestamp, byteCountAfter] for each chunk. */
		chunks: [],
		exited: false,
		stderr: '',
	};
	const waiters = new Set();
	child.stdout.on('data', data => {
		const now = performance.now();
		session.bytes += data.length;
		session.text += data.toString('utf8');
		session.chunks.push([now, session.bytes]);
		for (const w of [...waiters]) w(now);
	});
	child.stderr.on('data', d => {
		session.stderr += d;
	});
	const exit = new Promise(resolve =>
		child.once('exit', code => {
			session.exited = true;
			for (const w of [...waiters]) w(performance.now());
			resolve(code);
		}),
	);

	/** The program's pid (the child of `script`), once it is running. */
	session.programPid = async () => {
		for (let i = 0; i < 200; i++) {
			const kids = procChildren(child.pid);
			if (kids.length > 0) return kids[0];
			await sleep(10);
		}

		return undefined;
	};

	/**
	 * Resolves the performance.now() time at which `predicate(text from `fromIndex`)` first holds, or undefined after
	 * `timeoutMs` (or when the program exits).
	 */
	session.waitFor = (predicate, timeoutMs, fromIndex = 0) =>
		new Promise(resolve => {
			if (predicate(session.text.slice(fromIndex))) {
				resolve(performance.now());
				return;
			}

			const timer = setTimeout(() => {
				waiters.delete(check);
				resolve(undefined);
			}, timeoutMs);
			const check = now => {
				if (predicate(session.text.slice(fromIndex)) || session.exited) {
					clearTimeout(timer);
					waiters.delete(check);
					resolve(session.exited && !predicate(session.text.slice(fromIndex)) ? undefined : now);
				}
			};

			waiters.add(check);
		});

	session.write = text => child.stdin.write(text);

	/** SIGTERM the program (its own clean exit path), then make sure `script` is gone too. */
	session.stop = async () => {
		if (session.exited) return;
		const pid = procChildren(child.pid)[0];
		if (pid) {
			try {
				process.kill(pid, 'SIGTERM');
			} catch {}
		}

		const done = await Promise.race([exit.then(() => true), sleep(8000).then(() => false)]);
		if (!done) {
			const left = procChildren(child.pid)[0];
			if (left) {
				try {
					process.kill(left, 'SIGKILL');
				} catch {}
			}

			child.kill('SIGKILL');
			await exit;
		}
	};

	session.exit = exit;
	return session;
}
