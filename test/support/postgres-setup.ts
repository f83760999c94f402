// vitest globalSetup of the `postgres` project: one throwaway PostgreSQL cluster for the whole
// run; each test server gets a database of its own in it (see test-database.ts).
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.ts';

let cluster: PostgresCluster | null = null;

export async function setup(): Promise<void> {
  cluster = await startPostgresCluster();
  // Workers are started after this and inherit the environment.
  process.env.GRADPILOT_TEST_PG_ADMIN = cluster.adminUrl;
}

export function teardown(): void {
  cluster?.stop();
  cluster = null;
}
