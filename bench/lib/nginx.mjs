/**
 * A private nginx for the throughput benchmarks (when `nginx` is on PATH): one worker, sendfile on, no access log,
 * listening on a free 127.0.0.1 port, its config, pid and temp paths in a scratch directory. The system's nginx
 * (if any) is not touched.
 */
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {sleep, which} from './util.mjs';

async function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const {port} = s.address();
			s.close(() => resolve(port));
		});
	});
}

async function waitForPort(port, ms) {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		const ok = await new Promise(resolve => {
			const socket = net.connect(port, '127.0.0.1');
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (ok) return true;
		await sleep(50);
	}

	return false;
}

/** Resolves undefined (with the reason in `why`) when nginx is not installed or would not start. */
export async function startNginx(root, scratch) {
	const bin = which('nginx');
	if (!bin) return {skipped: 'nginx not installed'};
	const dir = path.join(scratch, 'nginx');
	fs.mkdirSync(dir, {recursive: true});
	const port = await freePort();
	const conf = path.join(dir, 'nginx.conf');
	fs.writeFileSync(
		conf,
		`worker_processes 1;
daemon off;
master_process on;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 60;
	client_body_temp_path ${dir}/body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	types { }
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:${port};
		root ${root};
		location / { limit_rate $arg_bps; }
	}
}
`,
	);
	const test = spawnSync(bin, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`, '-t'], {encoding: 'utf8'});
	if (test.status !== 0) return {skipped: `nginx config test failed: ${(test.stderr || '').trim().split('\n').pop()}`};
	const child = spawn(bin, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], {stdio: 'ignore'});
	if (!(await waitForPort(port, 5000))) {
		child.kill('SIGKILL');
		return {skipped: 'nginx did not start listening within 5 s'};
	}

	const version = (spawnSync(bin, ['-v'], {encoding: 'utf8'}).stderr || '').trim().replace(/^nginx version: /, '');
	return {
		kind: `${version} (sendfile, 1 worker)`,
		origin: `http://127.0.0.1:${port}`,
		pid: child.pid,
		async stop() {
			if (child.exitCode !== null) return;
			const exited = new Promise(resolve => child.once('exit', resolve));
			child.kill('SIGQUIT');
			const t = setTimeout(() => child.kill('SIGKILL'), 3000);
			await exited;
			clearTimeout(t);
		},
	};
}
