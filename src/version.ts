/**
 * The tool's name and version, from its package.json: the nearest one above this module,
 * wherever the module was built to (dist/ by tsc, dist/bundle/ by the CLI bundle).
 */
import { readFileSync } from 'node:fs';

function packageJson(): { name: string; version: string } {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (typeof pkg.name === 'string' && typeof pkg.version === 'string')
        return { name: pkg.name, version: pkg.version };
    } catch {
      // None here: look further up.
    }
    if (dir.pathname === '/') throw new Error('rmt-analyze: its package.json was not found');
  }
}

const pkg = packageJson();

export const TOOL_NAME: string = pkg.name;
export const TOOL_VERSION: string = pkg.version;
