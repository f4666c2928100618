import fs from 'node:fs';

/** isoman's version, from package.json (one directory above both source/ and dist/). */
export const VERSION: string = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}).version;
export const USER_AGENT = `isoman/${VERSION}`;
