import {describe, expect, it} from 'vitest';
import {NOTICE_LIMIT, NoticeLog} from '../../source/ui/notice-log.js';

describe('the notices log', () => {
	it('keeps the last 200, oldest first', () => {
		const log = new NoticeLog();
		for (let i = 0; i < 250; i++) log.add('info', `n${i}`, i);
		expect(log.size).toBe(NOTICE_LIMIT);
		expect(log.list()[0]!.text).toBe('n50');
		expect(log.list().at(-1)!.text).toBe('n249');
	});

	it('logs one ending of an image once, however many parts tell of it', () => {
		const log = new NoticeLog();
		log.add('error', 'Download failed: alpine 3.20: checksum mismatch', 1000, 'a');
		log.add('error', 'Failed alpine 3.20 x86_64 iso: checksum mismatch', 1100, 'a');
		log.add('error', 'Failed debian 12: HTTP 404', 1200, 'b');
		log.add('error', 'Failed alpine 3.20 x86_64 iso: checksum mismatch', 9000, 'a');
		expect(log.list().map(n => n.text)).toEqual(['Download failed: alpine 3.20: checksum mismatch', 'Failed debian 12: HTTP 404', 'Failed alpine 3.20 x86_64 iso: checksum mismatch']);
	});
});
