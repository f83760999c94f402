// Policy versions of a run (an audit trail: what, who, when, from which step) and the
// acknowledgements each SDK rank sent when it applied one.
import type { Policy } from '@gradpilot/sdk/controller';
import type { PolicyAck, PolicyVersion } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';

/** A policy version's row, as both backends read it. */
export interface PolicyRow {
  version: number;
  effective_step: number;
  policy: string;
  author: string;
  created_at: string;
}

/** A policy acknowledgement's row, as both backends read it. */
export interface AckRow {
  version: number;
  rank: number;
  applied_at_step: number;
  late: number;
  at: string;
}

export class PolicyStore {
  readonly #insert;
  readonly #latest;
  readonly #all;
  readonly #acks;
  readonly #ack;
  readonly #one;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO policies (rid, version, effective_step, policy, author, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#latest = db.prepare<[number], PolicyRow>('SELECT * FROM policies WHERE rid = ? ORDER BY version DESC LIMIT 1');
    this.#one = db.prepare<[number, number], PolicyRow>('SELECT * FROM policies WHERE rid = ? AND version = ?');
    this.#all = db.prepare<[number], PolicyRow>('SELECT * FROM policies WHERE rid = ? ORDER BY version');
    this.#acks = db.prepare<[number, number], AckRow>('SELECT * FROM policy_acks WHERE rid = ? AND version = ? ORDER BY rank');
    this.#ack = db.prepare('INSERT OR REPLACE INTO policy_acks (rid, version, rank, applied_at_step, late, at) VALUES (?, ?, ?, ?, ?, ?)');
  }

  add(rid: number, policy: Policy, effectiveStep: number, author: string, at: string): PolicyVersion {
    const version = (this.#latest.get(rid)?.version ?? 0) + 1;
    this.#insert.run(rid, version, effectiveStep, JSON.stringify(policy), author, at);
    return { version, effectiveStep, policy, createdAt: at, author, acks: [] };
  }

  latest(rid: number): PolicyVersion | undefined {
    const row = this.#latest.get(rid);
    return row && this.#toVersion(rid, row);
  }

  get(rid: number, version: number): PolicyVersion | undefined {
    const row = this.#one.get(rid, version);
    return row && this.#toVersion(rid, row);
  }

  /** Every version, oldest first. */
  history(rid: number): PolicyVersion[] {
    return this.#all.all(rid).map((r) => this.#toVersion(rid, r));
  }

  ack(rid: number, version: number, rank: number, appliedAtStep: number, late: boolean, at: string): void {
    this.#ack.run(rid, version, rank, appliedAtStep, late ? 1 : 0, at);
  }

  #toVersion(rid: number, row: PolicyRow): PolicyVersion {
    return toPolicyVersion(row, this.#acks.all(rid, row.version));
  }
}

/** The API's PolicyVersion from its row and its acknowledgements' rows. */
export function toPolicyVersion(row: PolicyRow, acks: readonly Omit<AckRow, 'version'>[]): PolicyVersion {
  return {
    version: row.version,
    effectiveStep: row.effective_step,
    policy: JSON.parse(row.policy) as Policy,
    createdAt: row.created_at,
    author: row.author,
    acks: acks.map((a): PolicyAck => ({ rank: a.rank, appliedAtStep: a.applied_at_step, late: a.late === 1, at: a.at })),
  };
}
