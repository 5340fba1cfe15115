// The header's settings menu: theme, editor font size, and the keyboard shortcuts.
import { useEffect, useRef } from 'preact/hooks';
import { FONT_SIZES, setPreferences, usePreferences, type ThemeChoice } from '../preferences';

const SHORTCUTS: [string, string][] = [
  ['Ctrl+Enter (⌘+Enter)', 'run the project'],
  ['Ctrl+F', 'find and replace in the file'],
  ['F3 / Shift+F3', 'next / previous match'],
  ['Ctrl+D', 'select the next occurrence too'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'undo / redo'],
  ['Tab / Shift+Tab', 'indent / unindent (Esc first: Tab moves on)'],
  ['Ctrl+/', 'comment or uncomment the line'],
  ['Alt+↑ / Alt+↓', 'move the line up or down'],
  ['Ctrl+S', 'nothing to do: changes are saved as you type'],
];

export function PreferencesMenu() {
  const [prefs] = usePreferences();
  const menu = useRef<HTMLDetailsElement>(null);

  // Esc or a click elsewhere closes it, as menus do.
  useEffect(() => {
    const close = (e: Event) => {
      const d = menu.current;
      if (!d?.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !d.contains(e.target as Node)) d.open = false;
    };
    document.addEventListener('keydown', close);
    document.addEventListener('mousedown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('mousedown', close);
    };
  }, []);

  return (
    <details class="prefs" ref={menu}>
      <summary aria-label="Settings" title="Settings: theme, font size, shortcuts">
        ⚙<span class="prefs-label"> Settings</span>
      </summary>
      <div class="prefs-panel" role="group" aria-label="Settings">
        <label>
          Theme
          <select
            value={prefs.theme}
            onChange={(e) => setPreferences({ theme: (e.target as HTMLSelectElement).value as ThemeChoice })}
          >
            <option value="system">As the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <label>
          Editor font size
          <select
            value={String(prefs.fontSize)}
            onChange={(e) => setPreferences({ fontSize: Number((e.target as HTMLSelectElement).value) })}
          >
            {FONT_SIZES.map((s) => (
              <option key={s} value={String(s)}>
                {s} px
              </option>
            ))}
          </select>
        </label>
        <h3>Keyboard shortcuts</h3>
        <dl class="shortcuts">
          {SHORTCUTS.map(([keys, what]) => (
            <div key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </div>
    </details>
  );
}
