/** Free space for the header: one statfs of the data directory every few seconds (read-only, never the library). */
import fsp from 'node:fs/promises';
import {useEffect, useState} from 'react';

/** Bytes available to this user on the file system holding `dir`, or undefined when it cannot be told. */
export async function diskFree(dir: string): Promise<number | undefined> {
	try {
		const stats = await fsp.statfs(dir);
		return Number(stats.bavail) * Number(stats.bsize);
	} catch {
		return undefined;
	}
}

export function useDiskFree(dir: string, intervalMs = 5000): number | undefined {
	const [free, setFree] = useState<number | undefined>(undefined);
	useEffect(() => {
		let alive = true;
		const refresh = () => {
			void diskFree(dir).then(bytes => {
				if (alive) setFree(previous => (previous === bytes ? previous : bytes));
			});
		};

		refresh();
		const timer = setInterval(refresh, intervalMs);
		timer.unref();
		return () => {
			alive = false;
			clearInterval(timer);
		};
	}, [dir, intervalMs]);
	return free;
}
