import { defineConfig } from 'vitest/config';

/**
 * Tests that spawn the built CLI, worker threads or a browser (and the slow end-to-end
 * ones): the `cli` project. Everything else runs in-process as `unit`, in seconds:
 * `npm run test:unit`. `npm test` runs both.
 */
const CLI_TESTS = [
  'test/browser/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/cli.test.ts',
  'test/cli-plots.test.ts',
  'test/compare.test.ts',
  'test/formats.test.ts',
  'test/fuzz.test.ts',
  'test/gate-cli.test.ts',
  'test/hardening/**/*.test.ts',
  'test/hostile.test.ts',
  'test/launch.test.ts',
  'test/load/gguf-cli.test.ts',
  'test/load/onnx.test.ts',
  'test/numerics.test.ts',
  'test/pytorch-cli.test.ts',
  'test/schema.test.ts',
  'test/shard.test.ts',
  'test/silero.test.ts',
  'test/spectrum/eigenvalues.test.ts',
  'test/spectrum/engine-close.test.ts',
  'test/spectrum/engine-fit.test.ts',
  'test/spectrum/prestart.test.ts',
];

export default defineConfig({
  test: {
    // Numerical tests run real eigen-decompositions and CLI tests spawn the binary: generous
    // per-test limits that only catch hangs; timing itself is measured by `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: CLI_TESTS } },
      { extends: true, test: { name: 'cli', include: CLI_TESTS } },
    ],
  },
});
