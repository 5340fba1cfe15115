// The app shell: who is logged in, the runtime catalog, the header and the pages.
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, Runtime, setOnUnauthorized, User } from './api';
import { PreferencesMenu } from './components/preferences_menu';
import { linkHandler, match, navigate, usePath, useTitle } from './router';
import { LoginPage, SignupPage } from './pages/auth';
import { GalleryPage, ProjectsPage } from './pages/projects';
import { EditorPage } from './pages/editor';
import { AccountPage } from './pages/account';
import { AdminPage } from './pages/admin';

export interface Session {
  user: User | null;
  runtimes: Runtime[];
  setUser: (u: User | null) => void;
  reloadRuntimes: () => Promise<void>;
  notify: (text: string, kind?: 'error' | 'info') => void;
}

export const SessionContext = createContext<Session>(null as unknown as Session);
export const useSession = () => useContext(SessionContext);

interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

let toastId = 0;

export function App() {
  const path = usePath();
  const [user, setUser] = useState<User | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [runtimes, setRuntimes] = useState<Runtime[]>([]);
  const [toasts, setToasts] = useState<Toast[]>([]);

  const notify = useCallback((text: string, kind: 'error' | 'info' = 'error') => {
    const id = ++toastId;
    setToasts((t) => [...t, { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  const reloadRuntimes = useCallback(async () => {
    try {
      setRuntimes(await api.runtimes());
    } catch (e) {
      notify('Could not load the runtimes: ' + (e as Error).message);
    }
  }, [notify]);

  useEffect(() => {
    setOnUnauthorized(() => setUser(null));
    api
      .me()
      .then(setUser)
      .catch((e) => {
        if (!(e instanceof ApiError && e.status === 401)) notify((e as Error).message);
      })
      .finally(() => setLoaded(true));
    reloadRuntimes();
  }, []);

  const session: Session = { user, runtimes, setUser, reloadRuntimes, notify };

  let page = null;
  let m: Record<string, string> | null;
  if (!loaded) page = <p class="loading">Loading…</p>;
  else if (path === '/login') page = <LoginPage />;
  else if (path === '/signup') page = <SignupPage />;
  else if (path === '/gallery') page = <GalleryPage />;
  else if ((m = match('/p/:id', path))) page = <EditorPage key={m.id} id={m.id} />;
  else if (!user) page = <LoginPage />;
  else if (path === '/' || path === '/projects') page = <ProjectsPage />;
  else if (path === '/account') page = <AccountPage />;
  else if (path === '/admin' || (m = match('/admin/:tab', path)))
    page = user.role === 'admin' ? <AdminPage tab={m?.tab ?? 'users'} /> : <NotFound text="Only admins see this page." />;
  else page = <NotFound text="There is no such page." />;

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      /* the session is ended either way */
    }
    setUser(null);
    navigate('/login');
  };

  const nav = (href: string, label: string) => (
    <a href={href} onClick={linkHandler} class={path === href || (href !== '/' && path.startsWith(href)) ? 'active' : ''}>
      {label}
    </a>
  );

  return (
    <SessionContext.Provider value={session}>
      <header class="topbar">
        <a href="/" onClick={linkHandler} class="brand" aria-label="Runlet home">
          <span class="logo" aria-hidden="true">▶</span> Runlet
        </a>
        <nav aria-label="Main">
          {user && nav('/projects', 'Projects')}
          {nav('/gallery', 'Gallery')}
          {user?.role === 'admin' && nav('/admin', 'Admin')}
        </nav>
        <div class="spacer" />
        <PreferencesMenu />
        {user ? (
          <div class="who">
            <a href="/account" onClick={linkHandler} class={path === '/account' ? 'active' : ''}>
              {user.username}
            </a>
            <button class="link" onClick={logout}>
              Log out
            </button>
          </div>
        ) : (
          <div class="who">
            {nav('/login', 'Log in')}
            {nav('/signup', 'Sign up')}
          </div>
        )}
      </header>
      <main>{page}</main>
      <div class="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} class={'toast ' + t.kind} role={t.kind === 'error' ? 'alert' : undefined}>
            {t.text}
            <button
              class="link"
              aria-label="Dismiss"
              onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </SessionContext.Provider>
  );
}

function NotFound({ text }: { text: string }) {
  useTitle('Not found');
  return (
    <section class="page narrow">
      <h1>Not found</h1>
      <p>{text}</p>
      <p>
        <a href="/" onClick={linkHandler}>
          Back to the start
        </a>
      </p>
    </section>
  );
}
