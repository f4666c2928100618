/**
 * Plain-HTTP socket reads as large as the data waiting: the connector of the engine's undici Agent.
 *
 * Node reads a socket into a new 64 KiB buffer each time: ~16,000 reads, allocations and parser calls per GB on a
 * fast link, each buffer an external ArrayBuffer for the garbage collector. With `net.Socket`'s `onread`, each read
 * goes instead into a buffer sized from the last read — twice what it brought, between 64 KiB and 1 MiB — so a
 * full-speed download reads ~1 MiB at a time and a slow or shared one stays at 64 KiB. The filled part is pushed
 * to the socket as usual, so undici reads it as it reads any socket. Every read has its own buffer, never written
 * into again: the views undici hands on (the body chunks a batch keeps until it is written) stay valid, and each
 * buffer lives exactly as long as its chunk, as Node's own do (a buffer shared by several reads outlives
 * scavenges when four downloads share the link). While several transfers run, reads stay at 64 KiB
 * (allowLargeReads).
 *
 * TLS connections keep undici's own connector (the TLS layer does its own reads).
 */
import type {Socket} from 'node:net';
import {buildConnector} from 'undici';

export const MIN_READ_BYTES = 64 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;

let largest = MAX_READ_BYTES;

/**
 * Reads up to 1 MiB (`true`, one transfer) or 64 KiB (`false`, several: each then gets a share of the link, and
 * 1 MiB read buffers were measured at +35 MB of peak RSS and ~2 s more of V8's garbage-collection threads for
 * 4 × 512 MiB; with 64 KiB the four read as Node does). part-file.ts says which, as transfers open and close
 * (64 KiB from the moment a second one opens until all are closed).
 */
export function allowLargeReads(allowed: boolean): void {
	largest = allowed ? MAX_READ_BYTES : MIN_READ_BYTES;
}

/** The largest read offered now. */
export function largestRead(): number {
	return largest;
}

/** The next read's size after one that brought `bytes`. */
export function nextReadSize(bytes: number): number {
	return Math.min(largest, Math.max(MIN_READ_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, bytes * 2)))));
}

/** undici's connector with `options` (connect timeout …), its plain-HTTP sockets reading as above. */
export function largeReadConnector(options: buildConnector.BuildOptions = {}): buildConnector.connector {
	const standard = buildConnector(options);
	return (target, callback) => {
		if (target.protocol !== 'http:') {
			standard(target, callback);
			return;
		}

		let socket: Socket | undefined;
		let size = MIN_READ_BYTES;
		const connect = buildConnector({
			...options,
			onread: {
				buffer: () => Buffer.allocUnsafeSlow(Math.min(size, largest)),
				callback(bytes, buffer) {
					size = nextReadSize(bytes);
					// false (over the socket's high-water mark) stops the reads until undici has taken what is there.
					return socket ? socket.push(Buffer.from(buffer.buffer, buffer.byteOffset, bytes)) : false;
				},
			},
		});
		connect(target, (...args) => {
			if (args[0] === null) socket = args[1];
			callback(...args);
		});
	};
}
