/**
 * The one input subscription of the TUI. Listens to Ink's raw input events (not `useInput`, whose parser cannot tell
 * Backspace from Delete in Ink 6) and subscribes once: the handler is read through a ref, so re-renders never
 * resubscribe.
 */
import {useEffect, useRef} from 'react';
import {useStdin} from 'ink';

export function useKeypress(handler: (data: string) => void): void {
	const {internal_eventEmitter: emitter, setRawMode, isRawModeSupported} = useStdin();
	const ref = useRef(handler);
	ref.current = handler;
	useEffect(() => {
		if (!isRawModeSupported) return;
		setRawMode(true);
		return () => setRawMode(false);
	}, [isRawModeSupported, setRawMode]);
	useEffect(() => {
		const listener = (data: unknown) => ref.current(typeof data === 'string' ? data : String(data));
		emitter.on('input', listener);
		return () => {
			emitter.off('input', listener);
		};
	}, [emitter]);
}
