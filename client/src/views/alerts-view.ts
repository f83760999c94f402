// #/alerts: every alert, live, with where each went; the webhooks (server-wide, and per
// project with a form to add or remove one); a test alert to any of them.
import type { ProjectWebhook } from '@gradpilot/sdk/protocol';
import { api } from '../api.ts';
import { alertsApi } from '../api-alerts.ts';
import { h, setText } from '../dom.ts';
import { TID } from '../testids.ts';
import { AlertsList } from './alerts-list.ts';
import { errorText, type AppContext, type View } from './view.ts';

/** The test-alert target select: '' = the server-wide webhooks, else a project name. */
const SERVER_WIDE = '';

export function alertsView(ctx: AppContext): View {
  const list = new AlertsList({ withRun: true });
  const message = h('div', { class: 'message', testid: TID.alertMessage, role: 'status' });
  const say = (text: string, isError = false) => {
    message.classList.toggle('error', isError);
    setText(message, text);
  };
  const hooks = h('tbody');
  const target = h('select', { testid: TID.alertTestTarget }, h('option', { value: SERVER_WIDE }, 'server-wide webhooks'));
  const test = h('button', { type: 'button', class: 'secondary', testid: TID.alertTest }, 'Send test alert');
  const project = h('input', { type: 'text', placeholder: 'project', testid: TID.webhookProject, list: 'alert-projects' });
  const url = h('input', { type: 'url', placeholder: 'https://hooks.slack.com/services/…', testid: TID.webhookUrl, size: 40 });
  const add = h('button', { type: 'submit', testid: TID.webhookAdd }, 'Add webhook');
  const projectNames = h('datalist', { id: 'alert-projects' });

  const el = h(
    'div',
    { class: 'view alerts-view', testid: TID.alertsView },
    h('div', { class: 'run-header' }, h('a', { href: '#/', class: 'back' }, '← runs'), h('h2', {}, 'Alerts')),
    h(
      'section',
      { class: 'panel' },
      h('header', { class: 'panel-head' }, h('h3', {}, 'Webhooks'), target, test),
      h('p', { class: 'muted' }, 'Every alert goes to the server-wide webhooks (gradpilot serve --webhook URL) and to those of its run\'s project. Paths are hidden: a webhook URL is a secret.'),
      h('table', { class: 'webhooks', testid: TID.webhookList }, h('thead', {}, h('tr', {}, ...['project', 'webhook', 'added', ''].map((t) => h('th', {}, t)))), hooks),
      h('form', { class: 'webhook-form' }, project, url, add, projectNames),
      message,
    ),
    h('section', { class: 'panel' }, h('header', { class: 'panel-head' }, h('h3', {}, 'Recent alerts')), list.el),
  );

  const hookRow = (projectName: string | null, shown: string, w: ProjectWebhook | null) => {
    const remove = w === null ? null : h('button', { type: 'button', class: 'secondary', testid: TID.webhookRemove }, 'remove');
    remove?.addEventListener('click', async () => {
      try {
        await alertsApi.removeWebhook(w!.project, w!.id);
        say(`Removed the webhook of project ${w!.project}.`);
        await loadHooks();
      } catch (err) {
        say(errorText(err), true);
      }
    });
    return h('tr', { testid: TID.webhookRow }, h('td', {}, projectName ?? 'every run'), h('td', {}, shown), h('td', {}, w ? `${w.author}, ${new Date(w.createdAt).toLocaleString('en-GB')}` : 'server flag'), h('td', {}, remove));
  };

  async function loadHooks(): Promise<void> {
    const [webhooks, projects] = await Promise.all([alertsApi.webhooks(), api.listProjects().catch(() => [] as string[])]);
    hooks.replaceChildren(
      ...webhooks.server.map((s) => hookRow(null, s, null)),
      ...webhooks.projects.map((w) => hookRow(w.project, w.target, w)),
    );
    if (hooks.children.length === 0) hooks.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No webhook yet: alerts are kept and shown here only.')));
    const names = [...new Set([...projects, ...webhooks.projects.map((w) => w.project)])].sort();
    const chosen = target.value;
    target.replaceChildren(h('option', { value: SERVER_WIDE }, 'server-wide webhooks'), ...names.map((n) => h('option', { value: n }, `project ${n}`)));
    target.value = names.includes(chosen) ? chosen : SERVER_WIDE;
    projectNames.replaceChildren(...names.map((n) => h('option', { value: n })));
  }

  async function loadAll(): Promise<void> {
    try {
      const [alerts] = await Promise.all([alertsApi.alerts(), loadHooks()]);
      list.set(alerts);
    } catch (err) {
      ctx.showError(`Could not load alerts: ${errorText(err)}`);
    }
  }

  test.addEventListener('click', async () => {
    try {
      const alert = await alertsApi.testAlert(target.value === SERVER_WIDE ? {} : { project: target.value });
      list.upsert(alert);
      say(`Test alert ${alert.id} sent to ${alert.deliveries.length} webhook${alert.deliveries.length === 1 ? '' : 's'}.`);
    } catch (err) {
      say(errorText(err), true);
    }
  });
  el.querySelector('form')!.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const w = await alertsApi.addWebhook(project.value.trim(), url.value.trim());
      say(`Project ${w.project}'s alerts now also go to ${w.target}.`);
      url.value = '';
      await loadHooks();
    } catch (err) {
      say(errorText(err), true);
    }
  });

  const stopListening = ctx.live.listen({ alert: (a) => list.upsert(a), resync: () => void loadAll() });
  void loadAll();
  return { el, dispose: stopListening };
}
