// Policy versions and their acknowledgements on PostgreSQL (as policy-store.ts).
import type { Policy } from '@gradpilot/sdk/controller';
import type { PolicyVersion } from '@gradpilot/sdk/protocol';
import { type AckRow, type PolicyRow, toPolicyVersion } from '../policy-store.ts';
import type { PoliciesApi } from '../server-store.ts';
import type { PgDatabase, Sql } from './pg-sql.ts';

/** The next version of the run's policy. Inside a transaction that holds the run's lock. */
export async function addPolicyVersion(sql: Sql, rid: number, policy: Policy, effectiveStep: number, author: string, at: string): Promise<PolicyVersion> {
  const [row] = await sql.rows<{ version: number }>(
    `INSERT INTO policies (rid, version, effective_step, policy, author, created_at)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM policies WHERE rid = $1 RETURNING version`,
    [rid, effectiveStep, JSON.stringify(policy), author, at],
  );
  return { version: row.version, effectiveStep, policy, createdAt: at, author, acks: [] };
}

export class PgPolicies implements PoliciesApi {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async latest(rid: number): Promise<PolicyVersion | undefined> {
    const [row] = await this.#db.sql.rows<PolicyRow>('SELECT * FROM policies WHERE rid = $1 ORDER BY version DESC LIMIT 1', [rid]);
    return row && this.#toVersion(rid, row);
  }

  async get(rid: number, version: number): Promise<PolicyVersion | undefined> {
    const [row] = await this.#db.sql.rows<PolicyRow>('SELECT * FROM policies WHERE rid = $1 AND version = $2', [rid, version]);
    return row && this.#toVersion(rid, row);
  }

  async history(rid: number): Promise<PolicyVersion[]> {
    const rows = await this.#db.sql.rows<PolicyRow>('SELECT * FROM policies WHERE rid = $1 ORDER BY version', [rid]);
    return Promise.all(rows.map((r) => this.#toVersion(rid, r)));
  }

  /** The run's lock orders it with ingest and other versions: two PUTs on two servers get two versions. */
  async add(rid: number, policy: Policy, effectiveStep: number, author: string, at: string): Promise<PolicyVersion> {
    return this.#db.transaction(async (sql) => {
      await sql.run('SELECT pg_advisory_xact_lock($1)', [rid]);
      return addPolicyVersion(sql, rid, policy, effectiveStep, author, at);
    });
  }

  async ack(rid: number, version: number, rank: number, appliedAtStep: number, late: boolean, at: string): Promise<void> {
    await this.#db.sql.run(
      `INSERT INTO policy_acks (rid, version, rank, applied_at_step, late, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (rid, version, rank) DO UPDATE SET applied_at_step = EXCLUDED.applied_at_step, late = EXCLUDED.late, at = EXCLUDED.at`,
      [rid, version, rank, appliedAtStep, late ? 1 : 0, at],
    );
  }

  async #toVersion(rid: number, row: PolicyRow): Promise<PolicyVersion> {
    const acks = await this.#db.sql.rows<Omit<AckRow, 'version'>>(
      'SELECT rank, applied_at_step, late, at FROM policy_acks WHERE rid = $1 AND version = $2 ORDER BY rank',
      [rid, row.version],
    );
    return toPolicyVersion(row, acks);
  }
}
