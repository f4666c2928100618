/** The command line and environment of the daemon a TUI hands its library to (daemon/hand-off.ts). */
import {describe, expect, it} from 'vitest';
import {loadConfig} from '../../source/config.js';
import {handOffCommand} from '../../source/daemon/hand-off.js';

const TOKEN = 'a-token-of-thirty-two-characters';

describe('handOffCommand', () => {
	it('passes the server options on its command line and the API token only in its environment', () => {
		const config = loadConfig({dataDir: '/lib', listen: '127.0.0.1:8080', auth: 'all', webRoot: '/srv/ui', corsOrigin: 'https://a.example'}, {ISOMAN_API_TOKEN: TOKEN}, '/cwd');
		const {file, args, env} = handOffCommand(config, '/opt/isoman/dist/cli.js', '/usr/bin/node');
		expect(file).toBe('/usr/bin/node');
		expect(args.slice(0, 2)).toEqual(['/opt/isoman/dist/cli.js', '--daemon']);
		const after = (flag: string) => args[args.indexOf(flag) + 1];
		expect([after('--data-dir'), after('--listen'), after('--auth'), after('--web-root'), after('--cors-origin')]).toEqual(['/lib', '127.0.0.1:8080', 'all', '/srv/ui', 'https://a.example']);
		expect(args.join(' ')).not.toContain(TOKEN);
		expect(args).not.toContain('--api-token');
		expect(env).toEqual({ISOMAN_API_TOKEN: TOKEN});
		// Serving is what it is there for: it stays up when its queue is done.
		expect(args).not.toContain('--exit-when-idle');
	});

	it('without --listen: exits when its queue is done, and has no token to pass', () => {
		const {args, env} = handOffCommand(loadConfig({dataDir: '/lib'}, {}, '/cwd'), '/cli.js');
		expect(args).toContain('--exit-when-idle');
		expect(args).not.toContain('--listen');
		expect(env).toEqual({});
	});
});
