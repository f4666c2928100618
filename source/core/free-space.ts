/** Free space on a file system (read-only: one statfs). */
import fsp from 'node:fs/promises';

/** Bytes available to this user on the file system holding `dir`, or undefined when it cannot be told. */
export async function freeSpace(dir: string): Promise<number | undefined> {
	try {
		const stats = await fsp.statfs(dir);
		return Number(stats.bavail) * Number(stats.bsize);
	} catch {
		return undefined;
	}
}
