// Webhooks of projects: each gets the alerts of that project's runs (beside the server-wide
// ones given on the command line, which are not stored).
import type { ProjectWebhook } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';
import { redactWebhookUrl } from '../alerts/webhook-target.ts';

/** A project webhook's row, as both backends read it. */
export interface WebhookRow {
  id: number;
  project: string;
  url: string;
  author: string;
  created_at: string;
}

export class WebhookStore {
  readonly #insert;
  readonly #byProject;
  readonly #byUrl;
  readonly #all;
  readonly #remove;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO project_webhooks (project, url, author, created_at) VALUES (?, ?, ?, ?)');
    this.#byProject = db.prepare<[string], WebhookRow>('SELECT * FROM project_webhooks WHERE project = ? ORDER BY id');
    this.#byUrl = db.prepare<[string, string], WebhookRow>('SELECT * FROM project_webhooks WHERE project = ? AND url = ?');
    this.#all = db.prepare<[], WebhookRow>('SELECT * FROM project_webhooks ORDER BY project, id');
    this.#remove = db.prepare('DELETE FROM project_webhooks WHERE project = ? AND id = ?');
  }

  /** null when the project already has this URL. */
  add(project: string, url: string, author: string, at: string): ProjectWebhook | null {
    if (this.#byUrl.get(project, url)) return null;
    const id = Number(this.#insert.run(project, url, author, at).lastInsertRowid);
    return toWebhook({ id, project, url, author, created_at: at });
  }

  /** The URLs the alerts of a project's runs go to, unredacted: for delivery only. */
  targets(project: string): { id: number; url: string }[] {
    return this.#byProject.all(project).map((r) => ({ id: r.id, url: r.url }));
  }

  list(project: string): ProjectWebhook[] {
    return this.#byProject.all(project).map(toWebhook);
  }

  all(): ProjectWebhook[] {
    return this.#all.all().map(toWebhook);
  }

  remove(project: string, id: number): boolean {
    return this.#remove.run(project, id).changes > 0;
  }
}

/** The API's ProjectWebhook from its row (the URL's secret path redacted). */
export function toWebhook(r: WebhookRow): ProjectWebhook {
  return { id: r.id, project: r.project, target: redactWebhookUrl(r.url), author: r.author, createdAt: r.created_at };
}
