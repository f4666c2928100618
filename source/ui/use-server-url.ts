/**
 * Where the daemon serves this library, for the header and the details: read from `<data>/isoman.serve` every few
 * seconds (the daemon writes it once it listens; it counts only while the daemon holds the library lock).
 */
import {useEffect, useState} from 'react';
import {readServerInfo} from '../core/index.js';

export function useServerUrl(dataDir: string, intervalMs = 2000): string | undefined {
	const [url, setUrl] = useState<string | undefined>(() => readServerInfo(dataDir)?.url);
	useEffect(() => {
		const timer = setInterval(() => setUrl(readServerInfo(dataDir)?.url), intervalMs);
		timer.unref();
		return () => clearInterval(timer);
	}, [dataDir, intervalMs]);
	return url;
}
