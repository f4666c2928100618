/**
 * A tmpfs mounted for a test (another file system, or a small disk to fill). Mounting needs root on Linux: elsewhere
 * `mountTmpfs` returns the reason, for the test to print when it skips.
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Mount = {dir: string} | {reason: string};

export function mountTmpfs(bytes: number, prefix = 'isoman-tmpfs-'): Mount {
	if (process.platform !== 'linux') return {reason: `tmpfs mounts need Linux (this is ${process.platform})`};
	if (process.getuid?.() !== 0) return {reason: 'mounting a tmpfs needs root (run the tests as root, e.g. in CI containers, to include them)'};
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], {stdio: 'pipe'});
		return {dir};
	} catch (error) {
		fs.rmdirSync(dir);
		const stderr = (error as {stderr?: Buffer}).stderr?.toString().trim();
		return {reason: `mount -t tmpfs failed: ${stderr || (error as Error).message}`};
	}
}

export function unmountTmpfs(dir: string): void {
	try {
		execFileSync('umount', [dir], {stdio: 'pipe'});
	} catch {
		// Busy (a handle still open somewhere): detach it now, it goes when the last handle closes.
		execFileSync('umount', ['-l', dir], {stdio: 'pipe'});
	}

	fs.rmdirSync(dir);
}
