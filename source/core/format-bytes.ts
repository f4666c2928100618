/** Sizes for people, in binary units: the one formatter the screen, the subcommands and error messages share. */

export const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.50 KiB"; three significant digits from 1 KiB; "?" when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
	if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '?';
	if (bytes < 1024) return `${Math.round(bytes)} B`;
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit++;
	}

	const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
	return `${value.toFixed(digits)} ${BYTE_UNITS[unit]!}`;
}

/** For messages that must be exact too: "512 bytes", "2.00 MiB (2097152 bytes)". */
export function formatBytesExact(bytes: number): string {
	return bytes < 1024 ? `${bytes} bytes` : `${formatBytes(bytes)} (${bytes} bytes)`;
}
