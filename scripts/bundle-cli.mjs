// Bundles the command line (dist/cli.js), its spectrum worker and the worker pre-start
// (dist/spectrum/spawn.js) into dist/bundle/, after tsc has built dist/ (npm run build).
//
// Why: node loads an ES module graph file by file; the CLI's ~180 modules took 0.25–0.3 s
// to load before any work began, a fifth of a small model's run (issue 14, fixed start
// cost). One file per entry point (plus the chunks they share) loads in a third of that.
// Code splitting keeps spawn.js one module shared by bin's pre-start and the engine, and the
// worker next to it, where spawn.ts looks for it.
//
// The small pure-JavaScript packages (commander, chalk, picomatch) are bundled too: loaded
// from node_modules, resolving and compiling their ten modules took ~18 ms of every start
// (`rmt-analyze --version`, medians of 20: 142 → 124 ms; `node -e 0` is 64). onnxruntime-node
// stays a package: native, loaded only by a worker that needs it (spectrum/ort.ts). The
// bundled CommonJS packages require node's built-in modules: each output file gets a
// `require` of its own (the banner).
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
  external: ['onnxruntime-node'],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
