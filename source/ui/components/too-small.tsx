/** Below 40×10 nothing useful fits: say so (keys still work; q quits). */
import {Box, Text} from 'ink';

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

export function TooSmall({columns, rows}: {columns: number; rows: number}) {
	return (
		<Box width={columns} height={Math.max(1, rows - 1)} flexDirection="column">
			<Text wrap="wrap">
				Terminal too small ({columns}×{rows}); isoman needs at least {MIN_COLUMNS}×{MIN_ROWS}. Enlarge it, or press q to quit.
			</Text>
		</Box>
	);
}
