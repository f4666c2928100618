/** Free space for the header: one statfs of the data directory every few seconds (read-only, never the library). */
import {useEffect, useState} from 'react';
import {freeSpace} from '../core/index.js';

export function useDiskFree(dir: string, intervalMs = 5000): number | undefined {
	const [free, setFree] = useState<number | undefined>(undefined);
	useEffect(() => {
		let alive = true;
		const refresh = () => {
			void freeSpace(dir).then(bytes => {
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
