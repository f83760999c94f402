// Project webhooks on PostgreSQL (as webhook-store.ts).
import type { ProjectWebhook } from '@gradpilot/sdk/protocol';
import type { WebhooksApi } from '../server-store.ts';
import { type WebhookRow, toWebhook } from '../webhook-store.ts';
import type { Sql } from './pg-sql.ts';

export class PgWebhooks implements WebhooksApi {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** null when the project already has this URL (the UNIQUE key decides, also between servers). */
  async add(project: string, url: string, author: string, at: string): Promise<ProjectWebhook | null> {
    const [row] = await this.#sql.rows<WebhookRow>(
      'INSERT INTO project_webhooks (project, url, author, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (project, url) DO NOTHING RETURNING *',
      [project, url, author, at],
    );
    return row ? toWebhook(row) : null;
  }

  async targets(project: string): Promise<{ id: number; url: string }[]> {
    return this.#sql.rows<{ id: number; url: string }>('SELECT id, url FROM project_webhooks WHERE project = $1 ORDER BY id', [project]);
  }

  async list(project: string): Promise<ProjectWebhook[]> {
    return (await this.#sql.rows<WebhookRow>('SELECT * FROM project_webhooks WHERE project = $1 ORDER BY id', [project])).map(toWebhook);
  }

  async all(): Promise<ProjectWebhook[]> {
    return (await this.#sql.rows<WebhookRow>('SELECT * FROM project_webhooks ORDER BY project, id')).map(toWebhook);
  }

  async remove(project: string, id: number): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM project_webhooks WHERE project = $1 AND id = $2', [project, id])) > 0;
  }
}
