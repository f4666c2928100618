/** Why a running download is being stopped; the job settles the row accordingly. */
export type AbortKind = 'pause' | 'cancel' | 'remove' | 'shutdown';

export class JobAbort extends Error {
	constructor(readonly kind: AbortKind) {
		super(`download ${kind}`);
		this.name = 'JobAbort';
	}
}
