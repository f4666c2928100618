/**
 * Checking a value against a rule, for settings and for the naming rules: a check returns the value (trimmed,
 * normalised…) or calls `refuse(message)`; `schema(check)` wraps it in the `safeParse` shape callers read
 * (`issues[0].message` is the complete message). No schema library: these run on every start of every command, and
 * zod (what they were written with before) cost ~13 MB of memory and ~70 ms of CPU there.
 */

/** A value a rule refuses; the message is the rule it breaks. */
export class RuleError extends Error {
	override name = 'RuleError';
}

export function refuse(message: string): never {
	throw new RuleError(message);
}

export type Parsed<T> = {success: true; data: T; error?: undefined} | {success: false; data?: undefined; error: {issues: Array<{message: string}>}};

export type Schema<T> = {
	/** The value, or the first rule it breaks. */
	safeParse(value: unknown): Parsed<T>;
	/** The value; throws RuleError (its message is the rule) when it breaks one. */
	parse(value: unknown): T;
};

export function schema<T>(check: (value: unknown) => T): Schema<T> {
	return {
		safeParse(value) {
			try {
				return {success: true, data: check(value)};
			} catch (error) {
				if (!(error instanceof RuleError)) throw error;
				return {success: false, error: {issues: [{message: error.message}]}};
			}
		},
		parse: check,
	};
}

/** The type word of a value of the wrong type (`received boolean`). */
const typeWord = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** `value` when it is a string; else refused with `message`, by default the one zod gave (kept word for word). */
export function expectString(value: unknown, message?: string): string {
	return typeof value === 'string' ? value : refuse(message ?? `Invalid input: expected string, received ${typeWord(value)}`);
}
