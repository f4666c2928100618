/** The current time, re-read every `everyMs` while it is set (a countdown); no timer when undefined. */
import {useEffect, useState} from 'react';

export function useNow(everyMs: number | undefined): number {
	const [now, setNow] = useState(Date.now);
	useEffect(() => {
		if (everyMs === undefined) return;
		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), everyMs);
		return () => clearInterval(timer);
	}, [everyMs]);
	return everyMs === undefined ? Date.now() : now;
}
