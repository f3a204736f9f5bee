import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests spawn the built binary and numerical tests run real eigen-decompositions:
    // generous per-test time limits, but no test asserts on timing (that is `npm run bench`).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
