/**
 * The directory listing below images/, built from the catalogue's complete images (only directories that lead to
 * one exist), with sizes and times from the disk (lstat; an entry that is gone or a symlink is left out).
 */
import {isVerified, type Image} from '../../core/index.js';
import {sidecarOnDisk} from '../library.js';
import {encodePath} from '../request-path.js';
import {lstatInside} from './safe-open.js';

export type ListingEntry = {
	name: string;
	type: 'dir' | 'file';
	size_bytes: number | null;
	modified: string | null;
	/** Absolute path, encoded: `/images/alpine/3.20/`. */
	href: string;
	/** Images only (sidecars and directories have none). */
	id?: string;
	checksum?: string | null;
	checksum_type?: string | null;
	/** Whether the digest was checked against a published one (images only). */
	verified?: boolean;
	verified_at?: string | null;
	/** `image` or `sidecar` for files. */
	kind?: 'image' | 'sidecar';
};

export type Listing = {path: string; entries: ListingEntry[]};

/**
 * The listing of directory `dir` (segments below images/, `[]` for images/ itself), or undefined when no complete
 * image lies below it. Directories first, then files, each by name.
 */
export async function buildListing(imagesDir: string, images: readonly Image[], dir: readonly string[]): Promise<Listing | undefined> {
	const dirs = new Set<string>();
	const files: Array<{name: string; image: Image; kind: 'image' | 'sidecar'}> = [];
	let found = dir.length === 0;
	for (const image of images) {
		const parts = image.filePath.split('/');
		if (parts.length <= dir.length || !dir.every((segment, i) => parts[i] === segment)) continue;
		found = true;
		const rest = parts.slice(dir.length);
		if (rest.length > 1) dirs.add(rest[0]!);
		else {
			files.push({name: rest[0]!, image, kind: 'image'});
			if (image.checksumType) files.push({name: sidecarOnDisk({...image, checksumType: image.checksumType}), image, kind: 'sidecar'});
		}
	}

	if (!found) return undefined;
	const byName = (a: {name: string}, b: {name: string}) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
	const entries: ListingEntry[] = [];
	for (const name of [...dirs].sort()) {
		const stat = await lstatInside(imagesDir, [...dir, name]);
		if (!stat?.isDirectory()) continue;
		entries.push({name, type: 'dir', size_bytes: null, modified: stat.mtime.toISOString(), href: encodePath(['images', ...dir, name]) + '/'});
	}

	for (const file of files.sort(byName)) {
		const stat = await lstatInside(imagesDir, [...dir, file.name]);
		if (!stat?.isFile()) continue;
		const entry: ListingEntry = {
			name: file.name,
			type: 'file',
			size_bytes: stat.size,
			modified: stat.mtime.toISOString(),
			href: encodePath(['images', ...dir, file.name]),
			kind: file.kind,
		};
		if (file.kind === 'image') {
			Object.assign(entry, {
				id: file.image.id,
				checksum: file.image.checksum,
				checksum_type: file.image.checksumType,
				verified: isVerified(file.image),
				verified_at: file.image.verifiedAt,
			});
		}

		entries.push(entry);
	}

	return {path: encodePath(['images', ...dir]) + '/', entries};
}
