/**
 * `isoman key add FILE|URL`, `isoman key list [--json]`, `isoman key remove FINGERPRINT`: the keyring that
 * signatures are checked against. Nothing here asks a question; every refusal says why.
 */
import type {Config} from '../config.js';
import {IsomanError, loadKeyring, type KeyInfo, type Logger} from '../core/index.js';
import {table} from './format.js';
import type {CommandFlags, Io} from './run-command.js';

const EXIT = {ok: 0, failure: 1, invalid: 2} as const;

function keyLines(verb: string, key: KeyInfo): string[] {
	const expires = key.expiresAt ? `expires ${key.expiresAt.slice(0, 10)}` : 'never expires';
	return [
		`${verb} ${key.fingerprint}`,
		...(key.userIds.length > 0 ? key.userIds : ['(no user ID)']).map(id => `  ${id}`),
		`  ${key.algorithm}, created ${key.createdAt.slice(0, 10)}, ${expires}`,
	];
}

export function keyToJson(key: KeyInfo) {
	return {
		fingerprint: key.fingerprint,
		user_id: key.userId,
		user_ids: key.userIds,
		algorithm: key.algorithm,
		created_at: key.createdAt,
		expires_at: key.expiresAt,
		signing_keys: key.signingKeys,
	};
}

export async function keyCommand(args: string[], flags: CommandFlags, config: Config, log: Logger, io: Io): Promise<number> {
	const {addKeys, listKeys, readKeySource, removeKey} = await loadKeyring();
	const [verb, ...rest] = args;
	if (verb === 'list') {
		if (rest.length > 0) throw new IsomanError('invalid', 'key list takes no argument', 'key');
		const keys = await listKeys(config);
		if (flags.json) io.out(JSON.stringify(keys.map(keyToJson), null, 2));
		else if (keys.length === 0) io.out(`The keyring is empty: isoman key add FILE|URL (keys live in ${config.keysDir})`);
		else {
			io.out(
				table(
					['FINGERPRINT', 'ALGORITHM', 'EXPIRES', 'USER ID'],
					keys.map(k => [k.fingerprint, k.algorithm, k.expiresAt?.slice(0, 10) ?? 'never', k.userId || '(none)']),
				),
			);
		}

		return EXIT.ok;
	}

	if (verb === 'add') {
		if (rest.length !== 1) throw new IsomanError('invalid', `key add takes one FILE or URL (got ${rest.length})`, 'key');
		const source = rest[0]!;
		let bytes: Uint8Array;
		try {
			bytes = await readKeySource(source, config, log);
		} catch (error) {
			if (error instanceof IsomanError && error.code === 'invalid') throw error;
			io.err(`isoman: key add: ${error instanceof Error ? error.message : String(error)}`);
			return EXIT.failure;
		}

		const result = await addKeys(config, bytes, source);
		for (const key of result.added) io.out(keyLines('added', key).join('\n'));
		for (const key of result.updated) io.out(keyLines('updated', key).join('\n'));
		for (const refused of result.refused) io.err(`isoman: skipped ${refused.fingerprint ?? 'a key'}${refused.userId ? ` (${refused.userId})` : ''}: ${refused.reason}`);
		return EXIT.ok;
	}

	if (verb === 'remove') {
		if (rest.length !== 1) throw new IsomanError('invalid', `key remove takes one FINGERPRINT (got ${rest.length})`, 'fingerprint');
		const removed = await removeKey(config, rest[0]!);
		io.out(`removed ${removed.fingerprint}${'userId' in removed && removed.userId ? `  ${removed.userId}` : ''}`);
		return EXIT.ok;
	}

	throw new IsomanError('invalid', `key: "${verb ?? ''}" is not add, list or remove (isoman key --help)`, 'key');
}
