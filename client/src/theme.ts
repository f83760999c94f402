// Light and dark themes. Colours live in CSS custom properties (style.css); charts read
// them once when built and are rebuilt when the theme changes.
export type Theme = 'light' | 'dark';

const KEY = 'gradpilot.theme';
const listeners = new Set<(t: Theme) => void>();

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export function initTheme(): void {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    saved = null;
  }
  const prefersDark = window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
  document.documentElement.dataset.theme = saved === 'dark' || (saved === null && prefersDark) ? 'dark' : 'light';
}

export function setTheme(theme: Theme): void {
  if (theme === currentTheme()) return;
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // private mode: the choice just is not remembered
  }
  for (const l of listeners) l(theme);
}

export function onThemeChange(listener: (t: Theme) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface Palette {
  text: string;
  /** Panel background: halos around lines drawn over data. */
  panel: string;
  muted: string;
  grid: string;
  axis: string;
  norm: string;
  band: string;
  threshold: string;
  whatIf: string;
  clipped: string;
  skipped: string;
  nonFinite: string;
  spike: string;
  loss: string;
  lr: string;
  coef: string;
  series: string[];
}

export function palette(): Palette {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(`--${name}`).trim();
  return {
    text: v('fg'),
    panel: v('panel'),
    muted: v('muted'),
    grid: v('grid'),
    axis: v('axis'),
    norm: v('c-norm'),
    band: v('c-band'),
    threshold: v('c-threshold'),
    whatIf: v('c-whatif'),
    clipped: v('c-clipped'),
    skipped: v('c-skipped'),
    nonFinite: v('c-nonfinite'),
    spike: v('c-spike'),
    loss: v('c-loss'),
    lr: v('c-lr'),
    coef: v('c-coef'),
    series: v('c-series').split(/\s*,\s*/),
  };
}
