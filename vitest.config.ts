import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// @gradpilot/sdk resolves to its TypeScript sources in the workspace (the "gradpilot-source"
// export condition), never to a build in sdk/dist that may be stale.
const SOURCE = 'gradpilot-source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: parallel files, but few enough that socket tests do not starve.
    maxWorkers: 2,
    benchmark: {
      include: ['test/bench/**/*.bench.ts'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/postgres/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      // The server suite again on PostgreSQL (one throwaway cluster, a database per test
      // server), and the tests of several servers on one database.
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/server/**/*.test.ts', 'test/postgres/**/*.test.ts'],
          // Tests of the SQLite store's own internals (its rollup tables read in-process).
          exclude: ['test/server/rollups.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/postgres-setup.ts'],
          env: { GRADPILOT_TEST_STORE: 'postgres' },
        },
      },
    ],
  },
});
