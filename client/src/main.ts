// The dashboard entry: the page shell (title, connection state, theme), the error bar,
// and the hash router that swaps views.
import 'uplot/dist/uPlot.min.css';
import { h, setText } from './dom.ts';
import { Live } from './live.ts';
import { parseRoute } from './router.ts';
import { TID } from './testids.ts';
import { askForTokenOnce, getToken, onTokenChange, promptForToken } from './token.ts';
import { currentTheme, initTheme, onThemeChange, setTheme } from './theme.ts';
import { alertsView } from './views/alerts-view.ts';
import { compareView } from './views/compare-view.ts';
import { runView } from './views/run-view.ts';
import { runsView } from './views/runs-view.ts';
import type { AppContext, View } from './views/view.ts';

initTheme();
const live = new Live(getToken(), (message) => {
  if (/token/i.test(message)) askForTokenOnce(message);
});

const status = h('span', { class: 'conn', testid: TID.connection, role: 'status' });
const themeButton = h('button', { type: 'button', class: 'secondary', testid: TID.themeToggle });
const tokenButton = h('button', { type: 'button', class: 'secondary', testid: TID.tokenButton, title: 'token of this server (GRADPILOT_TOKEN)' });
const showTokenLabel = () => setText(tokenButton, getToken() ? 'token ✓' : 'token');
tokenButton.addEventListener('click', () => promptForToken());
showTokenLabel();
onTokenChange((token) => {
  showTokenLabel();
  live.setToken(token);
});
const errorBar = h('div', { class: 'error-bar', testid: TID.error, hidden: true, role: 'alert' });
const main = h('main');
document.body.append(
  h('header', { class: 'app-header' }, h('a', { href: '#/', class: 'brand' }, 'gradpilot'), h('a', { href: '#/alerts', class: 'nav', testid: TID.alertsNav }, 'alerts'), h('span', { class: 'spacer' }), status, tokenButton, themeButton),
  errorBar,
  main,
);

const showThemeLabel = () => setText(themeButton, currentTheme() === 'dark' ? '☀ light' : '☾ dark');
themeButton.addEventListener('click', () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark'));
onThemeChange(showThemeLabel);
showThemeLabel();

const awayBar = h('div', { class: 'error-bar', testid: TID.connectionBanner, hidden: true, role: 'alert' });
errorBar.before(awayBar);
live.onState((state, detail) => {
  status.className = `conn conn-${state}`;
  status.dataset.state = state;
  setText(status, state === 'connected' ? 'live' : state === 'connecting' ? 'connecting…' : 'server away');
  awayBar.hidden = state !== 'disconnected';
  if (state === 'disconnected') {
    setText(
      awayBar,
      /token/i.test(detail)
        ? `The server refused the live updates: ${detail}. Set it with the "token" button at the top right.`
        : `The server is not reachable${detail ? ` (${detail})` : ''}. Reconnecting by itself; the charts catch up when it is back.`,
    );
  }
});

const ctx: AppContext = {
  live,
  showError(message) {
    errorBar.hidden = message === null;
    setText(errorBar, message ?? '');
  },
};

let view: View | null = null;
function route(): void {
  view?.dispose();
  ctx.showError(null);
  const r = parseRoute(location.hash);
  view = r.name === 'run' ? runView(ctx, r.runId) : r.name === 'compare' ? compareView(ctx, r.runIds) : r.name === 'alerts' ? alertsView(ctx) : runsView(ctx);
  main.replaceChildren(view.el);
  document.title = r.name === 'run' ? `${r.runId} · gradpilot` : r.name === 'alerts' ? 'alerts · gradpilot' : 'gradpilot';
  window.scrollTo(0, 0);
}
window.addEventListener('hashchange', route);
route();
