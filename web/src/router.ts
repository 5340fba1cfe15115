// A small history-API router: the server answers every non-API path with index.html.
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';

export function navigate(to: string, replace = false) {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('runlet:navigate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener('runlet:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('runlet:navigate', update);
    };
  }, []);
  return path;
}

// Matches "/projects/:id" against a path; the parameters, or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const a = path.split('/').filter(Boolean);
  if (p.length !== a.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) out[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return null;
  }
  return out;
}

// An <a> that navigates without reloading the page (and still opens in a new tab).
export function linkHandler(e: MouseEvent) {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}

// The window's title for a page: "<what> · Runlet".
// (Set as the page renders, not a frame later.)
export function useTitle(what: string) {
  useLayoutEffect(() => {
    document.title = what ? `${what} · Runlet` : 'Runlet';
  }, [what]);
}
