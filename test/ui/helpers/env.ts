/**
 * Import FIRST in every UI test file: Ink reads `CI` and chalk reads colour support when they are imported.
 * Tests want Ink's interactive behaviour and ANSI styles (to check inverse and colours), whatever runs them.
 */
delete process.env['CI'];
delete process.env['CONTINUOUS_INTEGRATION'];
process.env['FORCE_COLOR'] = '1';
