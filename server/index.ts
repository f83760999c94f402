// gradpilot: the server, for programs that start it themselves. The SDK is re-exported, so
// `import { init } from 'gradpilot'` keeps working; install @gradpilot/sdk alone to train.
export { DEFAULT_CLIENT_DIR, DEFAULT_HOST, DEFAULT_PORT, startServer } from './start-server.ts';
export type { RunningServer, ServerOptions } from './start-server.ts';
export * from '@gradpilot/sdk';
