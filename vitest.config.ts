import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: parallel files, but few enough that socket tests do not starve.
    maxWorkers: 2,
    benchmark: {
      include: ['test/bench/**/*.bench.ts'],
    },
  },
});
