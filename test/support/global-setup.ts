// Runs once before the suite: the dashboard bundle must exist for the server to serve it.
import { buildClient } from '../../server/cli/build-client-lib.js';

export default async function setup(): Promise<void> {
  await buildClient();
}
