import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built program, as `npm start` and `npm run cli` run it (scripts/launch.mjs): tests that
 * start child processes start these. test/global-setup.ts builds dist/ first when a source is
 * newer, so they always run the code under test; a start costs about half of what tsx's
 * compiling every file did, which the crash drills (dozens of starts each) feel.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');
export const SERVER = join(ROOT, 'dist', 'server.js');
