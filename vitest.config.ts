import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// @gradpilot/sdk resolves to its TypeScript sources in the workspace (the "gradpilot-source"
// export condition), never to a build in sdk/dist that may be stale.
const SOURCE = 'gradpilot-source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
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
