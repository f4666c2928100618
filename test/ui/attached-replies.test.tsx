/**
 * An attached TUI (its library a ClientLibrary over a real daemon, `dist/cli.js --daemon`, another process) tells
 * the truth: `r` on a complete image is refused with the very words a standalone TUI and the CLI use; `v` shows the
 * daemon's verdict (matches, then corrupt); and once the daemon is gone (kill -9), `p` says "not done" instead of
 * "Paused", because no reply came, and that answer is not wiped out by the notice of the daemon's death, which goes
 * to the line that stays (and the header) instead.
 */
import './helpers/env.js';
import fs from 'node:fs';
import path from 'node:path';
import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import {checkAction} from '../../source/core/index.js';
import {ClientLibrary} from '../../source/core/client-library.js';
import {silentLogger} from '../../source/core/log.js';
import {App} from '../../source/ui/app.js';
import {UiController} from '../../source/ui/controller.js';
import {LibraryStore} from '../../source/ui/store.js';
import {createTheme} from '../../source/ui/theme.js';
import {isEvent, partSize, startDaemon, withLibraryAndServer} from '../cli/helpers.js';
import {waitFor} from '../support/library.js';
import {KiB, MiB} from '../support/sizes.js';
import {stripAnsi} from './helpers/render-app.js';

const {setUp} = withLibraryAndServer();
const tick = async () => new Promise(resolve => setTimeout(resolve, 0));

describe('an attached TUI', () => {
	it('refuses r like a standalone one, shows v\'s real result, and never says done without a reply', {timeout: 90_000}, async () => {
		const {dir, config, server} = await setUp();
		const sha = await server.serve('/a/done-2.0-x86_64.iso', {kind: 'generated', size: 200 * KiB, seed: 81, fileType: 'iso'});
		await server.serve('/a/slow-1.0-x86_64.iso', {kind: 'generated', size: 32 * MiB, seed: 82, fileType: 'iso'}, {throttleBps: 256 * KiB});
		const daemon = startDaemon(dir);
		await daemon.next(isEvent('started'));
		const client = new ClientLibrary({config, log: silentLogger, ownerPid: daemon.pid, ownerRole: 'daemon'});
		const done = await client.add({url: server.url('/a/done-2.0-x86_64.iso'), checksum: `sha256:${sha}`});
		await daemon.next(isEvent('complete', done.id));
		client.watch(50);
		const store = new LibraryStore(client, {maxPerSecond: 50});
		const controller = new UiController({manager: client, store, onQuit: () => undefined, imagesDir: config.imagesDir, messageMs: 3000});
		const instance = render(<App controller={controller} store={store} manager={client} dataDir={config.dataDir} imagesDir={config.imagesDir} ui={{spinners: false}} theme={createTheme({color: false, ascii: false})} />);
		const stdout = instance.stdout as unknown as NodeJS.EventEmitter & {columns: number; rows: number};
		Object.defineProperty(stdout, 'columns', {value: 120, configurable: true});
		Object.defineProperty(stdout, 'rows', {value: 30, configurable: true});
		stdout.emit('resize');
		const frame = () => stripAnsi(instance.lastFrame() ?? '');
		const until = async (check: (f: string) => boolean, what: string) => {
			try {
				return await waitFor(() => (check(frame()) ? frame() : undefined), {what, timeoutMs: 20_000, intervalMs: 10});
			} catch (error) {
				throw new Error(`${(error as Error).message}\n${frame()}`);
			}
		};

		const press = async (keys: string) => {
			await tick();
			instance.stdin.write(keys);
			await tick();
		};

		try {
			await until(f => f.includes('✓ verified') && f.includes('downloads run in daemon'), 'the complete image, attached');
			await press('G');
			// r: the rules' refusal, word for word what a standalone TUI and `isoman retry` say.
			await press('r');
			const refusal = checkAction('retry', client.get(done.id)!);
			expect(refusal.allowed).toBe(false);
			await until(f => f.includes(refusal.allowed ? '' : refusal.reason), 'the refusal');
			expect(client.get(done.id)!.status).toBe('complete');

			// v: the daemon re-hashes and its verdict is shown (not "sent").
			await press('v');
			await until(f => f.includes('Verified done 2.0 x86_64 iso: the checksum matches'), 'the verdict');
			fs.appendFileSync(path.join(config.imagesDir, client.get(done.id)!.filePath), 'x');
			await press('v');
			await until(f => /done 2\.0 x86_64 iso: .*(size|sha256)/.test(f), 'the corrupt verdict');

			// The daemon dies mid-download: p is not reported done, because no reply came.
			const slow = await client.add({url: server.url('/a/slow-1.0-x86_64.iso')});
			await daemon.next(isEvent('downloading', slow.id));
			await waitFor(() => partSize(dir, slow.id) > 16 * KiB, {what: 'bytes in the .part'});
			// The flat list names every row: select the slow one.
			await press('t');
			await until(f => f.includes('slow 1.0 x86_64 iso'), 'the slow row');
			await press('G');
			await until(f => f.split('\n').some(l => l.startsWith('›') && l.includes('slow 1.0')), 'slow selected');
			daemon.child.kill('SIGKILL');
			await daemon.exited;
			await press('p');
			// The answer stays for its time although the client noticed the death (and said so) in the same instant.
			const after = await until(f => f.includes('not done') && f.includes(`daemon pid ${daemon.pid} stopped`), 'the refusal to claim it was done');
			expect(after).not.toContain('Paused slow');
			expect(after).toMatch(/pause \S+: not done: isoman daemon pid \d+ exited before carrying it out/);
			expect(after).not.toContain('downloads run in daemon');
			expect(after).not.toMatch(/KiB\/s/); // nothing downloads: no speed is left on the screen
			// Then the lasting line: the daemon has stopped.
			const lasting = await until(f => f.includes(`the daemon (pid ${daemon.pid}) has stopped`), 'the lasting line');
			expect(lasting).not.toContain('not done');
		} finally {
			instance.unmount();
			controller.dispose();
			store.close();
			await client.close();
		}
	});
});
