/** Make a directory's entries durable (after a rename, link or unlink in it). */
import fsp from 'node:fs/promises';

export async function fsyncDirectory(dir: string): Promise<void> {
	const handle = await fsp.open(dir, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}
