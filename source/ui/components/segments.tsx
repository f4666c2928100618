/** Coloured text pieces inside a parent <Text> (colours dropped by the theme when there are none); shown through displayText. */
import {Text} from 'ink';
import {displayText} from '../../core/index.js';
import type {Segment} from '../file-state.js';
import type {Theme} from '../theme.js';

export function Segments({segments, theme}: {segments: readonly Segment[]; theme: Theme}) {
	return (
		<>
			{segments.map((segment, index) => (
				<Text key={index} color={segment.color && theme.c(segment.color)} bold={segment.bold} dimColor={segment.dim}>
					{displayText(segment.text)}
				</Text>
			))}
		</>
	);
}
