/**
 * Retries are visible: while a download waits to retry, its progress carries the attempt, the limit, when the
 * next attempt starts and why the last failed. A TLS certificate the client does not trust is not retried: the
 * image fails at once with the reason and what to do (NODE_EXTRA_CA_CERTS).
 */
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {Manager} from '../../source/core/manager.js';
import {silentLogger} from '../../source/core/log.js';
import type {Progress} from '../../source/core/progress.js';
import {tempLibrary, waitFor, type TempLibrary} from '../support/library.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function library(settings: Record<string, unknown>): {lib: TempLibrary; manager: Manager} {
	const lib = tempLibrary(settings);
	const manager = new Manager({config: lib.config, log: silentLogger});
	cleanups.push(() => lib.cleanup(), async () => manager.close());
	return {lib, manager};
}

/** A port on 127.0.0.1 nobody listens on (connections are refused). */
async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

describe('retry state', () => {
	it('publishes "retry n/max" with the time of the next attempt and the reason while a refused connection is retried', async () => {
		const {manager} = library({retries: 8, retryBaseMs: 60_000, retryMaxMs: 60_000});
		const port = await closedPort();
		const {id} = manager.addNow({url: `http://127.0.0.1:${port}/pub/alpine-3.20.3-x86_64.iso`});
		const seen: Progress[] = [];
		manager.on('progress', list => seen.push(...list.filter(p => p.id === id)));
		const before = Date.now();
		manager.start();
		const waiting = await waitFor(() => seen.find(p => p.retry), {what: 'a progress with retry state'});
		expect(waiting.retry).toMatchObject({attempt: 1, max: 8});
		expect(waiting.retry!.reason).toMatch(/ECONNREFUSED/);
		// Full jitter: the next attempt is somewhere in the next minute.
		expect(waiting.retry!.at).toBeGreaterThanOrEqual(before);
		expect(waiting.retry!.at).toBeLessThanOrEqual(Date.now() + 60_000);
		expect(manager.progressSnapshot().find(p => p.id === id)?.retry?.attempt).toBe(1);
		expect(manager.get(id)!.attempts).toBe(1);
	});

	it('fails at once on an untrusted TLS certificate, naming it and NODE_EXTRA_CA_CERTS', async () => {
		const fixtures = path.resolve('test/fixtures/tls');
		const server = https.createServer({key: fs.readFileSync(path.join(fixtures, 'key.pem')), cert: fs.readFileSync(path.join(fixtures, 'cert.pem'))}, (_req, res) => {
			res.end('never reached');
		});
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())));
		const {port} = server.address() as net.AddressInfo;
		let handshakes = 0;
		server.on('tlsClientError', () => handshakes++);
		const {manager} = library({retries: 8, retryBaseMs: 10, retryMaxMs: 10});
		const {id} = manager.addNow({url: `https://127.0.0.1:${port}/pub/alpine-3.20.3-x86_64.iso`});
		manager.start();
		const failed = await waitFor(() => {
			const image = manager.get(id);
			return image?.status === 'failed' ? image : undefined;
		}, {what: 'the image to fail'});
		expect(failed.errorCode).toBe('network');
		expect(failed.errorMessage).toMatch(/TLS certificate error/);
		expect(failed.errorMessage).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
		expect(failed.errorMessage).toContain('NODE_EXTRA_CA_CERTS');
		expect(failed.attempts).toBe(0);
		expect(handshakes).toBe(1);
	});
});
