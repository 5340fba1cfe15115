// What a person sets for this browser: the colour theme and the editor's font size. Kept in
// localStorage; the theme follows the system's setting unless one is chosen.
import { useEffect, useState } from 'preact/hooks';

export type ThemeChoice = 'system' | 'light' | 'dark';
export interface Preferences {
  theme: ThemeChoice;
  fontSize: number; // the editor's, in px
}

export const FONT_SIZES = [12, 13, 14, 15, 16, 18, 20, 22];
const KEY = 'runlet.preferences';
const DEFAULTS: Preferences = { theme: 'system', fontSize: 14 };

function load(): Preferences {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Preferences>;
    return {
      theme: saved.theme === 'light' || saved.theme === 'dark' ? saved.theme : 'system',
      fontSize: FONT_SIZES.includes(saved.fontSize as number) ? (saved.fontSize as number) : DEFAULTS.fontSize,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

let current = load();
const listeners = new Set<() => void>();
const systemDark = window.matchMedia?.('(prefers-color-scheme: dark)');

// The theme in force: the choice, or the system's when the choice is "system".
export function resolvedTheme(p: Preferences = current): 'light' | 'dark' {
  if (p.theme !== 'system') return p.theme;
  return systemDark?.matches ? 'dark' : 'light';
}

// The page's colours and the editor's size follow the preferences (style.css reads both).
function apply() {
  const root = document.documentElement;
  root.dataset.theme = resolvedTheme();
  root.style.setProperty('--editor-font-size', `${current.fontSize}px`);
  root.style.colorScheme = resolvedTheme();
}

export function setPreferences(change: Partial<Preferences>) {
  current = { ...current, ...change };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    /* private windows may refuse storage: the choice holds for this page */
  }
  apply();
  for (const l of listeners) l();
}

systemDark?.addEventListener?.('change', () => {
  apply();
  for (const l of listeners) l();
});
apply();

// The preferences, and the theme in force, re-rendered on any change.
export function usePreferences(): [Preferences, 'light' | 'dark'] {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return [current, resolvedTheme()];
}
