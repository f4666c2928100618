/** Ports on 127.0.0.1 for tests that start real servers (the CLI's `--listen`). */
import net from 'node:net';

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
	const probe = net.createServer();
	await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
	const {port} = probe.address() as net.AddressInfo;
	await new Promise(resolve => probe.close(resolve));
	return port;
}

/** Whether this process can listen on the port right now (it is closed again at once). */
export async function canBind(port: number): Promise<boolean> {
	const probe = net.createServer();
	return new Promise(resolve => {
		probe.once('error', () => resolve(false));
		probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
	});
}
