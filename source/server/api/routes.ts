/**
 * The REST routes, ISOMan's and isoman's, over the core's library object. Each handler validates, calls one
 * core method, and answers with the envelope; core errors map to ISOMan's codes in one place (`asApiError`).
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import {DuplicateImageError, IllegalTransitionError, IsomanError, NotFoundError, statsToJson, trendOptions, ValidationError, type Image} from '../../core/index.js';
import {readJsonObject} from './body.js';
import {ApiError, sendOk} from './envelope.js';
import type {ApiContext} from './index.js';
import {isoJson} from './iso-json.js';
import {applyListQuery, parseListQuery} from './list-query.js';
import {addInputFrom, editFieldsFrom, validationError} from './request-fields.js';

const ACTIONS = ['retry', 'pause', 'resume', 'cancel', 'verify'] as const;
type Action = (typeof ACTIONS)[number];

const ACTION_MESSAGE: Record<Exclude<Action, 'verify'>, string> = {
	retry: 'Download retry queued successfully',
	pause: 'Download paused',
	resume: 'Download resumed',
	cancel: 'Download cancelled',
};

/** A core error as the API reports it. */
export function asApiError(ctx: ApiContext, error: unknown): unknown {
	if (error instanceof ApiError) return error;
	if (error instanceof ValidationError) return validationError(error.problems);
	if (error instanceof DuplicateImageError) {
		const existing = ctx.manager.get(error.existingId);
		return new ApiError('CONFLICT', 'ISO already exists', {
			details: `this image is already in the library as ${error.existingId}`,
			data: {existing: existing ? isoJson(existing) : {id: error.existingId}},
		});
	}

	if (error instanceof NotFoundError) return new ApiError('NOT_FOUND', error.message.includes('ambiguous') ? error.message : 'ISO not found', {details: error.message});
	if (error instanceof IllegalTransitionError || (error instanceof IsomanError && (error.code === 'illegal_transition' || error.code === 'invalid_state'))) {
		return new ApiError('INVALID_STATE', error.message);
	}

	if (error instanceof IsomanError && error.code === 'invalid') return validationError([{field: error.field ?? 'body', message: error.message}]);
	return error;
}

function notFound(req: IncomingMessage, pathname: string): ApiError {
	return new ApiError('NOT_FOUND', 'API endpoint not found', {details: `no route ${req.method ?? '?'} ${pathname.slice(0, 200)}`});
}

export async function routeIsos(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
	try {
		await dispatch(ctx, req, res, url);
	} catch (error) {
		throw asApiError(ctx, error);
	}
}

async function dispatch(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
	const {manager} = ctx;
	const method = req.method === 'HEAD' ? 'GET' : req.method;
	const parts = url.pathname.split('/').filter(Boolean).slice(1); // after "api"
	const [collection, ref, action, ...rest] = parts;
	if (rest.length > 0) throw notFound(req, url.pathname);

	if (collection === 'stats' && method === 'GET') {
		if (ref === undefined) return sendOk(res, 200, statsToJson(manager.stats()));
		if (ref === 'trends' && action === undefined) {
			const {period, days} = trendOptions(url.searchParams.get('period'), url.searchParams.get('days'));
			return sendOk(res, 200, manager.trend(period, days));
		}
	}

	if (collection !== 'isos') throw notFound(req, url.pathname);

	if (ref === undefined) {
		if (method === 'GET') {
			const page = applyListQuery(manager.list(), parseListQuery(url.searchParams));
			return sendOk(res, 200, {
				isos: page.items.map(isoJson),
				pagination: {page: page.page, page_size: page.pageSize, total: page.total, total_pages: page.totalPages},
			});
		}

		if (method === 'POST') {
			const input = addInputFrom(await readJsonObject(req));
			const image = await manager.add(input);
			return sendOk(res, 201, isoJson(image), 'ISO download queued successfully');
		}

		throw notFound(req, url.pathname);
	}

	if (action === undefined) {
		if (method === 'GET') return sendOk(res, 200, isoJson(manager.resolve(ref)));
		if (method === 'PUT') {
			const fields = editFieldsFrom(await readJsonObject(req));
			const image = await manager.edit(ref, {
				name: fields.name,
				version: fields.version,
				arch: fields.arch,
				edition: fields.edition,
				url: fields.download_url,
				checksumUrl: fields.checksum_url,
				checksumType: fields.checksum_type,
				checksum: fields.checksum,
			});
			return sendOk(res, 200, isoJson(image), 'ISO updated successfully');
		}

		if (method === 'DELETE') {
			await manager.remove(ref);
			return sendOk(res, 200, undefined, 'Resource deleted successfully');
		}

		throw notFound(req, url.pathname);
	}

	if (method !== 'POST' || !(ACTIONS as readonly string[]).includes(action)) throw notFound(req, url.pathname);
	const image: Image = manager.resolve(ref);
	if (action === 'verify') {
		const [result] = await manager.verify([image.id]);
		if (result?.outcome === 'skipped') throw new ApiError('INVALID_STATE', result.message ?? `image ${image.id} is ${image.status}; only complete images can be verified`);
		const after = manager.get(image.id) ?? image;
		return sendOk(res, 200, isoJson(after), result?.outcome === 'ok' ? 'Verified: the file matches its checksum' : `Verification: ${result?.outcome ?? 'unknown'}${result?.message ? `: ${result.message}` : ''}`);
	}

	const verb = action as Exclude<Action, 'verify'>;
	const after = await manager[verb](image.id);
	return sendOk(res, 200, isoJson(after), ACTION_MESSAGE[verb]);
}
