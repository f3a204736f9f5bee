// Bundles the command line (dist/cli.js), its spectrum worker and the worker pre-start
// (dist/spectrum/spawn.js) into dist/bundle/, after tsc has built dist/ (npm run build).
//
// Why: node loads an ES module graph file by file; the CLI's ~180 modules took 0.25–0.3 s
// to load before any work began, a fifth of a small model's run (issue 14, fixed start
// cost). One file per entry point (plus the chunks they share) loads in a third of that.
// Code splitting keeps spawn.js one module shared by bin's pre-start and the engine, and the
// worker next to it, where spawn.ts looks for it. Packages stay external (node_modules).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = (p) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

// Chunks are named by content hash: clear the folder so that no stale chunk survives a rebuild.
rmSync(dist('bundle'), { recursive: true, force: true });

await build({
  entryPoints: {
    cli: dist('cli.js'),
    worker: dist('spectrum/worker.js'),
    spawn: dist('spectrum/spawn.js'),
  },
  outdir: dist('bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
