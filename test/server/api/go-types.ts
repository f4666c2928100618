/**
 * A TypeScript model of how Go's encoding/json decodes into ISOMan v0.3.4's `pkg/client` structs (types.go,
 * client.go): `decodeGo(value, type)` throws where `json.Unmarshal` would fail (41.5 into an int, a string into an
 * int64, an object into a string, a time that is not RFC 3339). It is stricter than Go in one way, on purpose: a
 * field of a non-pointer type must be present and not null (Go would silently leave a zero value; ISOMan's web UI
 * would then show "null"), so a missing or null field is caught too.
 */
export type GoType =
	| 'string'
	| 'int'
	| 'int64'
	| 'bool'
	| 'time.Time'
	| 'json.RawMessage'
	| {ptr: GoType}
	| {slice: GoType}
	| {map: GoType}
	| {struct: Record<string, GoType>; optional?: readonly string[]};

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const INT64 = 2n ** 63n;

export function decodeGo(value: unknown, type: GoType, at = '$'): void {
	const fail = (why: string) => {
		throw new Error(`json: cannot unmarshal ${JSON.stringify(value)?.slice(0, 60)} into ${at} (${describe(type)}): ${why}`);
	};

	if (typeof type === 'string') {
		if (value === null || value === undefined) fail('missing or null (a Go client gets a zero value)');
		switch (type) {
			case 'string':
				if (typeof value !== 'string') fail('not a string');
				return;
			case 'bool':
				if (typeof value !== 'boolean') fail('not a bool');
				return;
			case 'int':
			case 'int64':
				if (typeof value !== 'number' || !Number.isInteger(value)) fail('not an integer');
				if (BigInt(value as number) >= INT64 || BigInt(value as number) < -INT64) fail('out of range');
				return;
			case 'time.Time':
				if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) fail('not an RFC 3339 time');
				return;
			case 'json.RawMessage':
				return;
		}
	}

	if ('ptr' in type) {
		if (value === null) return;
		decodeGo(value, type.ptr, at);
		return;
	}

	if ('slice' in type) {
		if (value === null) return;
		if (!Array.isArray(value)) fail('not an array');
		(value as unknown[]).forEach((v, i) => decodeGo(v, type.slice, `${at}[${i}]`));
		return;
	}

	if ('map' in type) {
		if (value === null) return;
		if (typeof value !== 'object' || Array.isArray(value)) fail('not an object');
		for (const [k, v] of Object.entries(value as object)) decodeGo(v, type.map, `${at}[${JSON.stringify(k)}]`);
		return;
	}

	if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
	const object = value as Record<string, unknown>;
	for (const [field, fieldType] of Object.entries(type.struct)) {
		if (type.optional?.includes(field) && object[field] === undefined) continue;
		decodeGo(object[field], fieldType, `${at}.${field}`);
	}
}

function describe(type: GoType): string {
	if (typeof type === 'string') return type;
	if ('ptr' in type) return `*${describe(type.ptr)}`;
	if ('slice' in type) return `[]${describe(type.slice)}`;
	if ('map' in type) return `map[string]${describe(type.map)}`;
	return 'struct';
}

// ---- ISOMan v0.3.4 pkg/client/types.go and client.go ----

export const ISO: GoType = {
	struct: {
		created_at: 'time.Time',
		completed_at: {ptr: 'time.Time'},
		download_link: 'string',
		checksum_type: 'string',
		edition: 'string',
		file_type: 'string',
		filename: 'string',
		file_path: 'string',
		id: 'string',
		name: 'string',
		checksum: 'string',
		arch: 'string',
		download_url: 'string',
		checksum_url: 'string',
		status: 'string',
		version: 'string',
		error_message: 'string',
		progress: 'int',
		size_bytes: 'int64',
		download_count: 'int64',
	},
};

export const Pagination: GoType = {struct: {page: 'int', page_size: 'int', total: 'int', total_pages: 'int'}};
export const ListISOsResponse: GoType = {struct: {isos: {slice: ISO}, pagination: Pagination}};

export const ISODownloadStat: GoType = {struct: {id: 'string', name: 'string', version: 'string', arch: 'string', download_count: 'int64', size_bytes: 'int64'}};
export const Stats: GoType = {
	struct: {
		total_isos: 'int64',
		completed_isos: 'int64',
		failed_isos: 'int64',
		pending_isos: 'int64',
		total_size_bytes: 'int64',
		total_downloads: 'int64',
		bandwidth_saved: 'int64',
		isos_by_arch: {map: 'int64'},
		isos_by_edition: {map: 'int64'},
		isos_by_status: {map: 'int64'},
		top_downloaded: {slice: ISODownloadStat},
	},
};

export const TrendDataPoint: GoType = {struct: {date: 'string', count: 'int64'}};
export const DownloadTrends: GoType = {struct: {period: 'string', data: {slice: TrendDataPoint}}};

/** client.go's apiResponse: `details` is a STRING there, so an object would fail the whole decode. */
export const apiResponseError: GoType = {struct: {code: 'string', message: 'string', details: 'string'}, optional: ['details']};
export const apiResponse: GoType = {
	struct: {success: 'bool', data: 'json.RawMessage', error: {ptr: apiResponseError}, message: 'string'},
	optional: ['data', 'error', 'message'],
};

/** The WebSocket message of ISOMan's hub (ws/hub.go ProgressPayload: progress an int). */
export const WSProgressMessage: GoType = {struct: {type: 'string', payload: {struct: {id: 'string', status: 'string', progress: 'int'}}}};
