/**
 * The command queue between processes, in one place: a client queues a command row, the owner carries it out and
 * writes the outcome into the row (done with its value, refused with the reason, failed with the error), and the
 * client reads it and deletes the row. An error crosses as its name and fields and is rebuilt as the same class,
 * so a front end cannot tell whether the owner ran here or elsewhere.
 */
import {DuplicateImageError, NotFoundError} from './catalogue/repository.js';
import {IllegalTransitionError} from './catalogue/transitions.js';
import {IsomanError, STATUSES, type Status} from './types.js';

/** What a client can ask of the owner. */
export const COMMAND_ACTIONS = ['add', 'pause', 'resume', 'cancel', 'retry', 'remove', 'verify', 'edit', 'limit'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export function isCommandAction(action: string): action is CommandAction {
	return (COMMAND_ACTIONS as readonly string[]).includes(action);
}

type WireError = {
	name: string;
	message: string;
	code?: string;
	field?: string;
	existingId?: string;
	ref?: string;
	imageId?: string;
	from?: string;
	attempted?: string;
};

/** The row's outcome for an error: `refused` when isoman said no (a typed IsomanError), else `failed`. */
export function encodeError(error: unknown): {state: 'refused' | 'failed'; reply: string} {
	const wire: WireError = {name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error)};
	if (error instanceof IsomanError) {
		wire.code = error.code;
		if (error.field !== undefined) wire.field = error.field;
	}

	if (error instanceof DuplicateImageError) wire.existingId = error.existingId;
	if (error instanceof NotFoundError) wire.ref = error.ref;
	if (error instanceof IllegalTransitionError) Object.assign(wire, {imageId: error.imageId, from: error.from, attempted: error.attempted});
	return {state: error instanceof IsomanError ? 'refused' : 'failed', reply: JSON.stringify(wire)};
}

/** The same error class, fields and message the owner threw. */
export function decodeError(reply: string | null): Error {
	let wire: WireError;
	try {
		wire = JSON.parse(reply ?? '') as WireError;
	} catch {
		return new Error(`the owner's reply could not be read: ${String(reply).slice(0, 200)}`);
	}

	let error: Error;
	if (wire.name === 'DuplicateImageError' && wire.existingId) error = new DuplicateImageError(wire.existingId);
	else if (wire.name === 'NotFoundError' && wire.ref !== undefined) error = new NotFoundError(wire.ref);
	else if (wire.name === 'IllegalTransitionError' && wire.imageId && (STATUSES as readonly string[]).includes(wire.from ?? '')) {
		error = new IllegalTransitionError(wire.imageId, wire.from as Status, wire.attempted ?? '', wire.message);
	} else if (wire.code !== undefined) error = new IsomanError(wire.code, wire.message, wire.field);
	else error = new Error(wire.message);
	error.message = wire.message;
	return error;
}

/** The error a client gets when its owner is gone or does not answer (no row was changed by it). */
export class OwnerUnavailableError extends IsomanError {
	constructor(message: string) {
		super('owner_unavailable', message);
		this.name = 'OwnerUnavailableError';
	}
}
