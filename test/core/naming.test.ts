import path from 'node:path';
import {describe, expect, test} from 'vitest';
import {
	archSchema,
	detectFromUrl,
	editionSchema,
	fieldProblem,
	fileTypeOf,
	httpUrlSchema,
	inferFromFilename,
	nameSchema,
	normaliseArch,
	normaliseName,
	parseField,
	parseFileType,
	resolveImageSpec,
	resolveInside,
	urlSchema,
	versionSchema,
	type ImageSpecInput,
	type Inferred,
} from '../../source/core/naming.js';
import {IsomanError} from '../../source/core/types.js';

/** Runs `fn`, expects an IsomanError(invalid) about `field`, returns its message. */
function errorOf(fn: () => unknown, field: string): string {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(IsomanError);
		const e = error as IsomanError;
		expect(e.code).toBe('invalid');
		expect(e.field).toBe(field);
		expect(e.message.startsWith(`${field}: `)).toBe(true);
		return e.message;
	}

	throw new Error(`expected an error about ${field}`);
}

describe('normaliseName', () => {
	test.each([
		['Alpine Linux', 'alpine-linux'],
		['alpine', 'alpine'],
		['Rocky.Linux', 'rocky-linux'],
		['debian/cd', 'debian-cd'],
		['open_suse', 'open-suse'],
		['  Alpine   Linux  ', 'alpine-linux'],
		['Alpine\tLinux', 'alpine-linux'],
		['--a--b--', 'a-b'],
		['a . / _ b', 'a-b'],
		['Ubuntu 24.04 LTS', 'ubuntu-24-04-lts'],
		['Débian', 'dbian'],
		['Kali 🐉 Linux', 'kali-linux'],
		['日本 linux', 'linux'],
		['\u212Aelvin', 'elvin'], // Kelvin sign is dropped, not lowercased to k: ASCII-only lowercasing
		['../../etc/passwd', 'etc-passwd'],
		['.tmp', 'tmp'],
		['a\u0000b', 'ab'],
		['x'.repeat(100), 'x'.repeat(100)],
		[' ' + 'x'.repeat(100) + ' ', 'x'.repeat(100)],
	])('%j → %j', (raw, expected) => {
		expect(normaliseName(raw)).toBe(expected);
		expect(nameSchema.parse(raw)).toBe(expected);
		expect(normaliseName(expected)).toBe(expected); // idempotent
	});

	test.each([
		['', /^name: must not be empty$/],
		['   ', /^name: must not be empty$/],
		['!!!', /^name: "!!!" has no letters or digits/],
		['-._/ ', /^name: "-\._\/" has no letters or digits/],
		['éàü', /has no letters or digits/],
		['🐉', /has no letters or digits/],
		['x'.repeat(101), /^name: must be at most 100 characters \(got 101\)$/],
		['a'.repeat(10_000), /^name: must be at most 100 characters/],
	])('%j is rejected', (raw, message) => {
		expect(errorOf(() => normaliseName(raw), 'name')).toMatch(message);
	});

	test('non-strings are rejected by the schema', () => {
		expect(errorOf(() => parseField(nameSchema, 'name', 42), 'name')).toBe('name: must be a string');
	});
});

describe('version, arch and edition', () => {
	const schemas = {version: versionSchema, arch: archSchema, edition: editionSchema} as const;
	const limits = {version: 50, arch: 20, edition: 50} as const;

	describe.each(['version', 'arch', 'edition'] as const)('%s', field => {
		const schema = schemas[field];
		const max = limits[field];

		test.each([
			['1', '1'],
			['3.20.3', '3.20.3'],
			['  14.1-RELEASE  ', '14.1-RELEASE'],
			['1.0+git_20240101', '1.0+git_20240101'],
			['A', 'A'],
			['x'.repeat(max), 'x'.repeat(max)],
		])('accepts %j', (raw, expected) => {
			expect(parseField(schema, field, raw)).toBe(expected);
			expect(fieldProblem(field, raw)).toBeNull();
		});

		test.each([
			['1 2', 'must match ^[A-Za-z0-9][A-Za-z0-9._+-]*$ (letters, digits, . _ + -; no spaces or slashes)'],
			['a/b', 'must match'],
			['a\\b', 'must match'],
			['..', 'must match'],
			['../x', 'must match'],
			['.hidden', 'must match'],
			['-x', 'must match'],
			['_x', 'must match'],
			['+x', 'must match'],
			['1\u00002', 'must match'],
			['1\n2', 'must match'],
			['vé', 'must match'],
			['1..2', 'must not contain ".."'],
			['', 'must not be empty'],
			['   ', 'must not be empty'],
			['x'.repeat(max + 1), `must be at most ${max} characters (got ${max + 1})`],
			['y'.repeat(10_240), `must be at most ${max} characters (got 10240)`],
		])('rejects %j', (raw, rule) => {
			const message = errorOf(() => parseField(schema, field, raw), field);
			expect(message).toContain(rule);
			expect(fieldProblem(field, raw)).toBe(message);
		});

		test('names the value and the rule', () => {
			expect(errorOf(() => parseField(schema, field, '1 2'), field)).toBe(
				`${field}: "1 2" must match ^[A-Za-z0-9][A-Za-z0-9._+-]*$ (letters, digits, . _ + -; no spaces or slashes)`,
			);
		});

		test('control characters are shown escaped, long values cut', () => {
			const message = errorOf(() => parseField(schema, field, `a\u0001${'z'.repeat(max - 3)}`), field);
			expect(message).toContain('"a\\u0001');
			expect(message).not.toContain('\u0001');
			const long = errorOf(() => parseField(schema, field, 'a b' + 'c'.repeat(Math.max(0, max - 5))), field);
			expect(long.length).toBeLessThan(200);
		});

		test('rejects non-strings', () => {
			expect(errorOf(() => parseField(schema, field, null), field)).toBe(`${field}: must be a string`);
		});
	});
});

describe('normaliseArch', () => {
	test.each([
		['x86_64', 'x86_64'],
		['amd64', 'x86_64'],
		['AMD64', 'x86_64'],
		['x64', 'x86_64'],
		['x86-64', 'x86_64'],
		['aarch64', 'aarch64'],
		['arm64', 'aarch64'],
		['i386', 'i686'],
		['i486', 'i686'],
		['i586', 'i686'],
		['i686', 'i686'],
		['x86', 'i686'],
		['armhf', 'armv7'],
		['armv7', 'armv7'],
		['armv7l', 'armv7'],
		['armv7hl', 'armv7'],
		['ppc64le', 'ppc64le'],
		['ppc64el', 'ppc64le'],
		['s390x', 's390x'],
		['riscv64', 'riscv64'],
		['loongarch64', 'loongarch64'],
		[' mips64el ', 'mips64el'],
		['Sparc64', 'Sparc64'],
	])('%j → %j', (raw, expected) => {
		expect(normaliseArch(raw)).toBe(expected);
		expect(archSchema.parse(raw)).toBe(expected);
	});

	test.each(['x86 64', 'a/b', '', 'x'.repeat(21)])('%j is rejected', raw => {
		errorOf(() => normaliseArch(raw), 'arch');
	});
});

describe('urlSchema', () => {
	test.each([
		['https://example.com/a.iso', 'https://example.com/a.iso'],
		['  http://example.com/a.iso  ', 'http://example.com/a.iso'],
		['HTTPS://EXAMPLE.com/a b.iso', 'https://example.com/a%20b.iso'],
		['http://127.0.0.1:8080/x.iso?x=1#f', 'http://127.0.0.1:8080/x.iso?x=1#f'],
		['http://[::1]/x.iso', 'http://[::1]/x.iso'],
	])('accepts %j', (raw, href) => {
		expect(urlSchema.parse(raw)).toBe(href);
	});

	test.each([
		['ftp://example.com/a.iso', 'url: only http and https URLs are supported, not "ftp:"'],
		['file:///etc/passwd', 'url: only http and https URLs are supported, not "file:"'],
		['javascript:alert(1)', 'url: only http and https URLs are supported, not "javascript:"'],
		['data:text/plain,x.iso', 'url: only http and https URLs are supported, not "data:"'],
		['example.com/a.iso', 'url: "example.com/a.iso" is not a valid URL (expected http://… or https://…)'],
		['/etc/passwd', 'url: "/etc/passwd" is not a valid URL'],
		['http://', 'url: "http://" is not a valid URL'],
		['http://exa mple.com/a.iso', 'is not a valid URL'],
		['', 'url: must not be empty'],
		['   ', 'url: must not be empty'],
		['https://example.com/' + 'a'.repeat(9000), 'url: must be at most 8192 characters'],
	])('rejects %j', (raw, message) => {
		expect(errorOf(() => parseField(urlSchema, 'url', raw), 'url')).toContain(message);
	});

	test('httpUrlSchema names its own field', () => {
		const r = httpUrlSchema('checksum_url').safeParse('ftp://x/SHA256SUMS');
		expect(r.success).toBe(false);
		expect(r.error?.issues[0]?.message).toBe('checksum_url: only http and https URLs are supported, not "ftp:"');
	});
});

describe('detectFromUrl', () => {
	test.each([
		['https://example.com/a/alpine-standard-3.20.3-x86_64.iso', 'alpine-standard-3.20.3-x86_64.iso', 'iso', null, 'x86_64'],
		['https://example.com/get/debian.iso?download=1', 'debian.iso', 'iso', null, null],
		['https://example.com/debian.iso#frag', 'debian.iso', 'iso', null, null],
		['https://example.com/debian.iso?name=x.exe#y.zip', 'debian.iso', 'iso', null, null],
		['https://example.com/download?file=debian.iso', null, null, null, null],
		['https://example.com/My%20Image%201.0.iso', 'My Image 1.0.iso', 'iso', null, null],
		['https://example.com/My Image.iso', 'My Image.iso', 'iso', null, null],
		['https://example.com/%E6%97%A5%E6%9C%AC.iso', '日本.iso', 'iso', null, null],
		['https://example.com/bad%ZZ%E6.iso', 'bad%ZZ%E6.iso', 'iso', null, null],
		['https://example.com/a%2F..%2F..%2Fetc.iso', 'a/../../etc.iso', 'iso', null, null],
		['https://example.com/Fedora-Cloud-Base-41-1.4.x86_64.qcow2.xz', 'Fedora-Cloud-Base-41-1.4.x86_64.qcow2.xz', 'qcow2.xz', 'xz', 'x86_64'],
		['https://example.com/UBUNTU.ISO', 'UBUNTU.ISO', 'iso', null, null],
		['https://example.com/disk.Qcow2.ZST', 'disk.Qcow2.ZST', 'qcow2.zst', 'zst', null],
		['https://example.com/disk.img.gz', 'disk.img.gz', 'img.gz', 'gz', null],
		['https://example.com/disk.raw.bz2', 'disk.raw.bz2', 'raw.bz2', 'bz2', null],
		['https://example.com/disk.vmdk', 'disk.vmdk', 'vmdk', null, null],
		['https://example.com/disk.vdi', 'disk.vdi', 'vdi', null, null],
		['https://example.com/disk.vhd', 'disk.vhd', 'vhd', null, null],
		['https://example.com/disk.vhdx', 'disk.vhdx', 'vhdx', null, null],
		['https://example.com/debian-12-generic-arm64.raw', 'debian-12-generic-arm64.raw', 'raw', null, 'aarch64'],
		['https://example.com/noble-server-cloudimg-amd64.img', 'noble-server-cloudimg-amd64.img', 'img', null, 'x86_64'],
		['https://example.com/tiny_x86.iso', 'tiny_x86.iso', 'iso', null, 'i686'],
		['https://example.com/foo-x86-64.iso', 'foo-x86-64.iso', 'iso', null, 'x86_64'],
		// Arch from the path when the file name says none; the segment nearest the file wins.
		['https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Server/x86_64/iso/Fedora-Server-41.iso', 'Fedora-Server-41.iso', 'iso', null, 'x86_64'],
		['https://cdimage.debian.org/debian-cd/current/arm64/iso-cd/debian-12.7.0-netinst.iso', 'debian-12.7.0-netinst.iso', 'iso', null, 'aarch64'],
		['https://example.com/amd64/armhf/x.iso', 'x.iso', 'iso', null, 'armv7'],
		['https://example.com/x86_64/x.iso?arch=aarch64', 'x.iso', 'iso', null, 'x86_64'],
		['https://example.com/x.iso?arch=aarch64', 'x.iso', 'iso', null, null],
		// The file name's arch wins over the path's.
		['https://example.com/amd64/x-arm64.iso', 'x-arm64.iso', 'iso', null, 'aarch64'],
	])('%s', (url, basename, fileType, compression, arch) => {
		if (basename === null) {
			errorOf(() => detectFromUrl(url), 'type');
			return;
		}

		expect(detectFromUrl(url)).toEqual({basename, fileType, compression, arch});
	});

	test.each([
		['https://example.com/setup.exe', 'type', 'type: cannot tell the image type from "setup.exe"; give --type (supported: .iso, .qcow2, .img, .raw, .vmdk, .vdi, .vhd, .vhdx, optionally followed by .xz, .gz, .zst, .bz2)'],
		['https://example.com/image.tar.gz', 'type', 'cannot tell the image type from "image.tar.gz"'],
		['https://example.com/image.iso.part', 'type', 'cannot tell the image type from "image.iso.part"'],
		['https://example.com/iso', 'type', 'cannot tell the image type from "iso"'],
		['https://example.com/', 'url', 'url: the path of "https://example.com/" does not end in a file name'],
		['https://example.com/dir/', 'url', 'does not end in a file name'],
		['ftp://example.com/x.iso', 'url', 'url: only http and https URLs are supported, not "ftp:"'],
		['not a url', 'url', 'is not a valid URL'],
	])('%s is rejected', (url, field, message) => {
		expect(errorOf(() => detectFromUrl(url), field)).toContain(message);
	});

	test('a URL that names no file: an explicit type, or a file name from its server, fills in', () => {
		expect(detectFromUrl('https://dl.example.org/download?id=42', {type: '.QCOW2'})).toMatchObject({basename: 'download', fileType: 'qcow2', compression: null});
		expect(detectFromUrl('https://dl.example.org/get/', {type: 'img.xz'})).toMatchObject({fileType: 'img.xz', compression: 'xz'});
		expect(detectFromUrl('https://dl.example.org/download?id=42', {fileName: 'debian-12-genericcloud-arm64.qcow2'})).toMatchObject({basename: 'debian-12-genericcloud-arm64.qcow2', fileType: 'qcow2', arch: 'aarch64'});
		// The URL's own file name wins over a server's; an explicit type over both.
		expect(detectFromUrl('https://dl.example.org/alpine-3.20.3-x86_64.iso', {fileName: 'other.qcow2'}).fileType).toBe('iso');
		expect(detectFromUrl('https://dl.example.org/alpine-3.20.3-x86_64.iso', {type: 'raw'}).fileType).toBe('raw');
		expect(errorOf(() => detectFromUrl('https://dl.example.org/download', {type: 'exe'}), 'type')).toContain('"exe" is not an image type');
		expect(parseFileType(' ISO.GZ ')).toBe('iso.gz');
		expect(resolveImageSpec({url: 'https://dl.example.org/download?id=42', fileName: 'Fedora-Server-netinst-x86_64-41-1.4.iso'})).toMatchObject({
			name: 'fedora-server',
			version: '41-1.4',
			edition: 'netinst',
			fileType: 'iso',
		});
	});

	test('fileTypeOf', () => {
		expect(fileTypeOf('a.ISO.XZ')).toEqual({fileType: 'iso.xz', compression: 'xz'});
		expect(fileTypeOf('a.xz')).toBeNull();
		expect(fileTypeOf('a.isox')).toBeNull();
	});
});

describe('inferFromFilename', () => {
	test.each<[string, Inferred]>([
		['alpine-standard-3.20.3-x86_64.iso', {name: 'alpine-standard', version: '3.20.3', arch: 'x86_64'}],
		['alpine-virt-3.20.3-aarch64.iso', {name: 'alpine-virt', version: '3.20.3', arch: 'aarch64'}],
		['debian-12.7.0-amd64-netinst.iso', {name: 'debian', version: '12.7.0', arch: 'x86_64', edition: 'netinst'}],
		['debian-live-12.7.0-amd64-standard.iso', {name: 'debian', version: '12.7.0', arch: 'x86_64', edition: 'live-standard'}],
		['ubuntu-24.04.1-live-server-amd64.iso', {name: 'ubuntu', version: '24.04.1', arch: 'x86_64', edition: 'live-server'}],
		['ubuntu-24.04.1-desktop-amd64.iso', {name: 'ubuntu', version: '24.04.1', arch: 'x86_64', edition: 'desktop'}],
		['Fedora-Server-netinst-x86_64-41-1.4.iso', {name: 'fedora-server', version: '41-1.4', arch: 'x86_64', edition: 'netinst'}],
		['Fedora-Server-dvd-x86_64-41-1.4.iso', {name: 'fedora-server', version: '41-1.4', arch: 'x86_64', edition: 'dvd'}],
		['Fedora-Workstation-Live-x86_64-41-1.4.iso', {name: 'fedora-workstation', version: '41-1.4', arch: 'x86_64', edition: 'live'}],
		['Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2', {name: 'fedora-cloud-base-generic', version: '41-1.4', arch: 'x86_64'}],
		['FreeBSD-14.1-RELEASE-amd64-disc1.iso', {name: 'freebsd', version: '14.1-RELEASE', arch: 'x86_64', edition: 'disc1'}],
		['FreeBSD-14.1-RELEASE-arm64-aarch64.qcow2.xz', {name: 'freebsd', version: '14.1-RELEASE', arch: 'aarch64'}],
		['archlinux-2024.11.01-x86_64.iso', {name: 'archlinux', version: '2024.11.01', arch: 'x86_64'}],
		['Rocky-9.4-x86_64-minimal.iso', {name: 'rocky', version: '9.4', arch: 'x86_64', edition: 'minimal'}],
		['debian-12-generic-amd64.qcow2', {name: 'debian', version: '12', arch: 'x86_64', edition: 'generic'}],
		['noble-server-cloudimg-amd64.img', {name: 'noble-server-cloudimg', arch: 'x86_64'}],
		['proxmox-ve_8.2-2.iso', {name: 'proxmox-ve', version: '8.2-2'}],
		['kali-linux-2024.3-installer-amd64.iso', {name: 'kali-linux', version: '2024.3', arch: 'x86_64', edition: 'installer'}],
		['linuxmint-22-cinnamon-64bit.iso', {name: 'linuxmint', version: '22', edition: 'cinnamon-64bit'}],
		['openSUSE-Leap-15.6-DVD-x86_64-Media.iso', {name: 'opensuse-leap', version: '15.6', arch: 'x86_64', edition: 'dvd-media'}],
		['tinycore.iso', {name: 'tinycore'}],
		['My Image 1.0.iso', {name: 'my-image', version: '1.0'}],
		['My Distro - 3.1 - Live  Server.iso', {name: 'my-distro', version: '3.1', edition: 'live-server'}],
		['12.7.0-amd64.iso', {version: '12.7.0', arch: 'x86_64'}],
		['x86_64.iso', {arch: 'x86_64'}],
		['.iso', {}],
		['', {}],
		['日本-1.0.iso', {version: '1.0'}],
		['foo-1..2.iso', {name: 'foo', version: '1', edition: '2'}], // only a single "." continues a version
		[`foo-1.${'9'.repeat(60)}.iso`, {name: 'foo'}], // too long a version is left out
		['a/../b-1.0.iso', {name: 'a-b', version: '1.0'}],
		['foo-1.0-amd64', {name: 'foo', version: '1.0', arch: 'x86_64'}], // no extension
	])('%j', (basename, expected) => {
		expect(inferFromFilename(basename)).toEqual(expected);
	});

	test('every inferred part passes its schema', () => {
		for (const basename of ['Ubuntu-24.04-LIVE-Server-AMD64.iso', 'x-1.0-Ünïcode.iso', 'a_b.c-1_2.3-rc1-x.iso']) {
			const inferred = inferFromFilename(basename);
			if (inferred.name !== undefined) expect(nameSchema.parse(inferred.name)).toBe(inferred.name);
			if (inferred.version !== undefined) expect(versionSchema.parse(inferred.version)).toBe(inferred.version);
			if (inferred.arch !== undefined) expect(archSchema.parse(inferred.arch)).toBe(inferred.arch);
			if (inferred.edition !== undefined) expect(editionSchema.parse(inferred.edition)).toBe(inferred.edition);
		}
	});
});

describe('resolveImageSpec', () => {
	const debian = 'https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-12.7.0-amd64-netinst.iso';

	test.each<[string, ImageSpecInput, Record<string, string | null>]>([
		['all inferred', {url: debian}, {name: 'debian', version: '12.7.0', arch: 'x86_64', edition: 'netinst', relativePath: 'debian/12.7.0/x86_64/debian-12.7.0-netinst-x86_64.iso'}],
		['user name wins (normalised)', {url: debian, name: 'Debian Bookworm'}, {name: 'debian-bookworm', relativePath: 'debian-bookworm/12.7.0/x86_64/debian-bookworm-12.7.0-netinst-x86_64.iso'}],
		['user version wins', {url: debian, version: '12.7'}, {version: '12.7', filename: 'debian-12.7-netinst-x86_64.iso'}],
		['user arch wins and is canonicalised', {url: debian, arch: 'arm64'}, {arch: 'aarch64', filename: 'debian-12.7.0-netinst-aarch64.iso'}],
		['unknown user arch kept', {url: debian, arch: 'mips64el'}, {arch: 'mips64el'}],
		['user edition wins', {url: debian, edition: 'small'}, {edition: 'small', filename: 'debian-12.7.0-small-x86_64.iso'}],
		['edition null means none', {url: debian, edition: null}, {edition: null, filename: 'debian-12.7.0-x86_64.iso'}],
		['blank edition means none', {url: debian, edition: '  '}, {edition: null}],
		['blank name/version/arch count as not given', {url: debian, name: ' ', version: '', arch: '\t'}, {name: 'debian', version: '12.7.0', arch: 'x86_64'}],
		['fields are trimmed', {url: `  ${debian}  `, version: ' 12 ', edition: ' x '}, {version: '12', edition: 'x'}],
		['arch from the path', {url: 'https://example.com/aarch64/tinycore-15.0.iso'}, {arch: 'aarch64', relativePath: 'tinycore/15.0/aarch64/tinycore-15.0-aarch64.iso'}],
		['arch defaults to x86_64', {url: 'https://example.com/tinycore-15.0.iso'}, {arch: 'x86_64', edition: null}],
		['compressed type', {url: 'https://example.com/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2.xz'}, {fileType: 'qcow2.xz', filename: 'fedora-cloud-base-generic-41-1.4-x86_64.qcow2.xz'}],
		['upper-case extension', {url: 'https://example.com/FOO-1.0.ISO'}, {fileType: 'iso', filename: 'foo-1.0-x86_64.iso'}],
		['query and fragment ignored', {url: 'https://example.com/foo-2.iso?download=1&name=../../x#../y'}, {relativePath: 'foo/2/x86_64/foo-2-x86_64.iso'}],
		['percent-encoded name', {url: 'https://example.com/My%20Distro%20-%203.1.iso'}, {name: 'my-distro', version: '3.1'}],
		['encoded slashes stay harmless', {url: 'https://example.com/..%2F..%2Fetc%2Fpasswd-1.iso'}, {name: 'etc-passwd', version: '1', relativePath: 'etc-passwd/1/x86_64/etc-passwd-1-x86_64.iso'}],
		['codename with a given version', {url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img', version: '24.04'}, {name: 'noble-server-cloudimg', version: '24.04', arch: 'x86_64', relativePath: 'noble-server-cloudimg/24.04/x86_64/noble-server-cloudimg-24.04-x86_64.img'}],
	])('%s', (_label, input, expected) => {
		const spec = resolveImageSpec(input);
		expect(spec).toMatchObject(expected);
		expect(spec.filename).toBe(`${spec.name}-${spec.version}${spec.edition === null ? '' : `-${spec.edition}`}-${spec.arch}.${spec.fileType}`);
		expect(spec.relativePath).toBe(`${spec.name}/${spec.version}/${spec.arch}/${spec.filename}`);
	});

	test.each<[string, ImageSpecInput, string, string]>([
		['no version in a codename', {url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img'}, 'version', 'version: cannot be told from "noble-server-cloudimg-amd64.img"; give --version'],
		['no digits at all', {url: 'https://example.com/x.iso'}, 'version', 'version: cannot be told from "x.iso"; give --version'],
		['no name', {url: 'https://example.com/12.7.0-amd64.iso'}, 'name', 'name: cannot be told from "12.7.0-amd64.iso"; give --name'],
		['no name, no version', {url: 'https://example.com/%F0%9F%90%89.iso'}, 'name', 'name: cannot be told from "🐉.iso"; give --name'],
		['bad user name', {url: debian, name: '%%%'}, 'name', 'name: "%%%" has no letters or digits'],
		['long user name', {url: debian, name: 'n'.repeat(101)}, 'name', 'name: must be at most 100 characters'],
		['bad user version', {url: debian, version: '1 2'}, 'version', 'version: "1 2" must match ^[A-Za-z0-9][A-Za-z0-9._+-]*$'],
		['traversal in version', {url: debian, version: '../../etc'}, 'version', 'version: "../../etc" must match'],
		['bad user arch', {url: debian, arch: 'x86/64'}, 'arch', 'arch: "x86/64" must match'],
		['bad user edition', {url: debian, edition: 'a b'}, 'edition', 'edition: "a b" must match'],
		['long edition', {url: debian, edition: 'e'.repeat(51)}, 'edition', 'edition: must be at most 50 characters (got 51)'],
		['unknown type', {url: 'https://example.com/debian-12.exe', name: 'd', version: '1'}, 'type', 'type: cannot tell the image type from "debian-12.exe"'],
		['not http', {url: 'file:///debian-12.iso'}, 'url', 'url: only http and https URLs are supported, not "file:"'],
		['not a URL', {url: '../debian-12.iso'}, 'url', 'url: "../debian-12.iso" is not a valid URL'],
	])('%s', (_label, input, field, message) => {
		expect(errorOf(() => resolveImageSpec(input), field)).toContain(message);
	});

	test('the longest parts still make a file name under 255 bytes, sidecar included', () => {
		const spec = resolveImageSpec({
			url: 'https://example.com/x.qcow2.bz2',
			name: 'n'.repeat(100),
			version: 'v'.repeat(50),
			arch: 'a'.repeat(20),
			edition: 'e'.repeat(50),
		});
		expect(Buffer.byteLength(`${spec.filename}.blake2b512`)).toBeLessThanOrEqual(255);
	});
});

describe('resolveInside', () => {
	const root = path.resolve('/data/isoman/images');

	test.each([
		['debian/12/x86_64/debian-12-x86_64.iso', 'debian/12/x86_64/debian-12-x86_64.iso'],
		['a', 'a'],
		['a/.tmp/b', 'a/.tmp/b'],
		['.tmpx/a', '.tmpx/a'],
		['./a/b', 'a/b'],
	])('%j is inside', (relative, expected) => {
		expect(resolveInside(root, relative)).toBe(path.join(root, expected));
		expect(resolveInside(`${root}/`, relative)).toBe(path.join(root, expected));
	});

	test.each([
		['../x', 'must not contain ".."'],
		['..', 'must not contain ".."'],
		['a/../../x', 'must not contain ".."'],
		['a/../b', 'must not contain ".."'],
		['a\\..\\..\\x', 'must not contain ".."'],
		['/etc/passwd', 'must be relative'],
		[root + '/a', 'must be relative'],
		['.tmp/x', 'is inside .tmp/'],
		['.tmp', 'is inside .tmp/'],
		['./.tmp/x.part', 'is inside .tmp/'],
		['.TMP/x', 'is inside .tmp/'],
		['', 'is empty'],
		['.', 'is not inside the images directory'],
		['a/..', 'must not contain ".."'],
		['a\u0000b', 'contains a NUL character'],
	])('%j is rejected', (relative, why) => {
		expect(errorOf(() => resolveInside(root, relative), 'path')).toContain(why);
	});

	test('a relative root is resolved against the working directory', () => {
		expect(resolveInside('images', 'a/b')).toBe(path.resolve('images', 'a/b'));
	});
});
