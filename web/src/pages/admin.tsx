// The admin portal: users, runtimes, platforms, the global FAQ and server settings.
// The server enforces the admin role on every /admin route; this page only shows them.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, Faq, formatBytes, Quota, User } from '../api';
import { useSession } from '../app';
import { linkHandler } from '../router';

const TABS = [
  ['users', 'Users'],
  ['runtimes', 'Runtimes'],
  ['platforms', 'Platforms'],
  ['faq', 'FAQ'],
  ['settings', 'Settings'],
] as const;

export function AdminPage({ tab }: { tab: string }) {
  return (
    <section class="page wide">
      <h1>Admin</h1>
      <nav class="subnav" aria-label="Admin sections">
        {TABS.map(([id, label]) => (
          <a key={id} href={`/admin/${id}`} onClick={linkHandler} class={tab === id ? 'active' : ''} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'users' && <UsersAdmin />}
      {tab === 'runtimes' && <RuntimesAdmin />}
      {tab === 'platforms' && <PlatformsAdmin />}
      {tab === 'faq' && <FaqAdmin />}
      {tab === 'settings' && <SettingsAdmin />}
    </section>
  );
}

type AdminUser = User & { effective_quota: Quota };

function UsersAdmin() {
  const { notify, user: me } = useSession();
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [editing, setEditing] = useState<number | null>(null);
  const load = () => api.admin.users().then(setUsers).catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  const update = async (u: AdminUser, patch: object) => {
    try {
      await api.admin.updateUser(u.id, patch);
      load();
      return true;
    } catch (e) {
      notify(errorText(e));
      return false;
    }
  };
  return (
    <div class="card">
      <table class="table" aria-label="Users">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>State</th>
            <th>Two-factor</th>
            <th>Quota (effective)</th>
            <th>Active</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <>
              <tr key={u.id} data-user={u.username}>
                <td>
                  <strong>{u.username}</strong>
                  {u.id === me?.id && <span class="muted small"> (you)</span>}
                </td>
                <td>
                  <select aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => update(u, { role: e.currentTarget.value })}>
                    <option value="user">user</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>
                  <label class="switch">
                    <input
                      type="checkbox"
                      aria-label={`${u.username} enabled`}
                      checked={!u.disabled}
                      onChange={(e) => update(u, { disabled: !e.currentTarget.checked })}
                    />
                    {u.disabled ? 'disabled' : 'enabled'}
                  </label>
                </td>
                <td>{u.totp_enabled ? 'on' : 'off'}</td>
                <td class="small">
                  {u.effective_quota.concurrent_runs || '∞'} runs · {u.effective_quota.cpus || '∞'} CPUs ·{' '}
                  {u.effective_quota.memory_bytes ? formatBytes(u.effective_quota.memory_bytes) : '∞'}
                </td>
                <td class="small">{u.usage?.runs ?? 0} runs</td>
                <td>
                  <button class="small" onClick={() => setEditing(editing === u.id ? null : u.id)} aria-label={`Edit quota of ${u.username}`}>
                    Quota…
                  </button>
                </td>
              </tr>
              {editing === u.id && (
                <tr key={`${u.id}-quota`}>
                  <td colSpan={7}>
                    <QuotaForm
                      quota={u.quota}
                      onSave={async (q) => {
                        if (await update(u, { quota: q })) setEditing(null);
                      }}
                    />
                  </td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
      <p class="muted small">Disabling a user or setting a password ends all of their sessions and tokens. Quota fields at 0 take the server's default.</p>
    </div>
  );
}

function QuotaForm(props: { quota: Quota; onSave: (q: Quota) => void }) {
  const [q, setQ] = useState({ ...props.quota });
  const field = (key: keyof Quota, label: string, scale = 1, unit = '') => (
    <label>
      {label}
      <input
        type="number"
        min={0}
        step="any"
        aria-label={label}
        value={q[key] / scale}
        onInput={(e) => setQ({ ...q, [key]: Math.round(Number(e.currentTarget.value) * scale) })}
      />
      {unit && <small>{unit}</small>}
    </label>
  );
  return (
    <form
      class="row wrap quota-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave(q);
      }}
    >
      {field('concurrent_runs', 'Runs at once')}
      <label>
        CPUs
        <input type="number" min={0} step="any" aria-label="CPUs" value={q.cpus} onInput={(e) => setQ({ ...q, cpus: Number(e.currentTarget.value) })} />
      </label>
      {field('memory_bytes', 'Memory (MiB)', 1 << 20)}
      {field('disk_bytes', 'Disk per run (MiB)', 1 << 20)}
      {field('time_ms', 'Time per run (s)', 1000)}
      <button type="submit" class="primary small">
        Save quota
      </button>
    </form>
  );
}

const RUNTIME_EXAMPLE = {
  id: 'python-custom',
  language: 'python',
  version: '3.11',
  name: 'Python 3.11 (custom)',
  os: 'Debian 12 (bookworm)',
  image: 'host',
  description: 'A Python with its own limits.',
  main_file: 'main.py',
  extensions: ['.py'],
  run: ['python3', 'main.py'],
  env: {},
  limits: { run: { time: '5s', memory: '256M' } },
  faq: [{ question: 'Which packages are there?', answer: 'The standard library only.' }],
};

function RuntimesAdmin() {
  const { notify, reloadRuntimes } = useSession();
  const [defs, setDefs] = useState<Record<string, unknown>[]>([]);
  const [editing, setEditing] = useState<{ id: string | null; text: string } | null>(null);
  const [error, setError] = useState('');
  const load = () => api.admin.runtimes().then(setDefs).catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    let def: Record<string, unknown>;
    try {
      def = JSON.parse(editing.text);
    } catch (err) {
      setError('Not valid JSON: ' + (err as Error).message);
      return;
    }
    try {
      if (editing.id) await api.admin.putRuntime(editing.id, def);
      else await api.admin.addRuntime(def);
      setEditing(null);
      setError('');
      notify(`Saved runtime ${def.id}`, 'info');
      load();
      reloadRuntimes();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const setEnabled = async (d: Record<string, unknown>, enabled: boolean) => {
    try {
      if (enabled) await api.admin.putRuntime(String(d.id), { ...d, enabled: true });
      else await api.admin.deleteRuntime(String(d.id));
      load();
      reloadRuntimes();
    } catch (e) {
      notify(errorText(e));
    }
  };

  return (
    <div class="card">
      <div class="row">
        <p class="muted small grow">
          A runtime names its image (<code>host</code>, or one made with <code>runlet image build</code>), its build and run commands,
          environment, limits for the build and run steps, and its FAQ. Changes apply to the next run.
        </p>
        <button class="primary" onClick={() => setEditing({ id: null, text: JSON.stringify(RUNTIME_EXAMPLE, null, 2) })}>
          Add runtime
        </button>
      </div>
      {editing && (
        <form onSubmit={save} class="runtime-form" aria-label={editing.id ? `Edit runtime ${editing.id}` : 'New runtime'}>
          <h3>{editing.id ? `Edit ${editing.id}` : 'New runtime'}</h3>
          <p class="muted small">
            Fields: id, language, version, name, os, arch, description, image, main_file, extensions, build (a shell command, optional),
            run (argv), env, limits (build/run: time, wall, memory, pids, output, disk), faq [{'{'}question, answer{'}'}].
          </p>
          <textarea
            class="code"
            aria-label="Runtime definition (JSON)"
            rows={20}
            spellcheck={false}
            value={editing.text}
            onInput={(e) => setEditing({ ...editing, text: e.currentTarget.value })}
          />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="row">
            <button type="submit" class="primary">
              Save runtime
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <table class="table" aria-label="Runtimes">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Image</th>
            <th>Enabled</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {defs.map((d) => (
            <tr key={String(d.id)} data-runtime={String(d.id)}>
              <td>
                <code>{String(d.id)}</code>
              </td>
              <td>{String(d.name ?? '')}</td>
              <td>
                <code>{String(d.image ?? '')}</code>
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${d.id} enabled`}
                  checked={d.enabled !== false}
                  onChange={(e) => setEnabled(d, e.currentTarget.checked)}
                />
              </td>
              <td>
                <button
                  class="small"
                  onClick={() => {
                    const { enabled: _enabled, ...rest } = d;
                    setEditing({ id: String(d.id), text: JSON.stringify(rest, null, 2) });
                  }}
                >
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface PlatformInfo {
  name: string;
  default?: boolean;
  started?: boolean;
  healthy?: boolean;
  detail?: string;
}

function PlatformsAdmin() {
  const { notify } = useSession();
  const [list, setList] = useState<PlatformInfo[]>([]);
  const load = () =>
    api.admin
      .platforms()
      .then((p) => setList(Array.isArray(p) ? (p as unknown as PlatformInfo[]) : ((p as { platforms?: PlatformInfo[] }).platforms ?? [])))
      .catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  const makeDefault = async (name: string) => {
    try {
      await api.admin.putPlatforms({ default: name });
      notify(`New runs go to ${name}`, 'info');
      load();
    } catch (e) {
      notify(errorText(e));
    }
  };
  return (
    <div class="card">
      <p class="muted small">Where code runs. The default takes every run whose runtime does not name a platform of its own.</p>
      <table class="table" aria-label="Platforms">
        <thead>
          <tr>
            <th>Platform</th>
            <th>Default</th>
            <th>Health</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {list.map((p) => (
            <tr key={p.name} data-platform={p.name}>
              <td>
                <strong>{p.name}</strong>
              </td>
              <td>
                <input type="radio" name="default-platform" aria-label={`${p.name} is the default`} checked={!!p.default} onChange={() => makeDefault(p.name)} />
              </td>
              <td>
                <span class={'pill ' + (p.healthy ? 'ok' : p.started === false ? 'queued' : 'runtime_error')}>
                  {p.healthy ? 'healthy' : p.started === false ? 'not started' : 'unhealthy'}
                </span>
              </td>
              <td class="small">{p.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FaqAdmin() {
  const { notify } = useSession();
  const [items, setItems] = useState<Faq[]>([]);
  useEffect(() => {
    api.faq().then(setItems).catch((e) => notify(errorText(e)));
  }, []);
  const set = (i: number, f: Partial<Faq>) => setItems(items.map((x, j) => (j === i ? { ...x, ...f } : x)));
  return (
    <form
      class="card faq-admin"
      aria-label="Global FAQ"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          setItems(await api.admin.putFaq(items.filter((f) => f.question.trim())));
          notify('FAQ saved', 'info');
        } catch (err) {
          notify(errorText(err));
        }
      }}
    >
      {items.map((f, i) => (
        <fieldset key={i}>
          <label>
            Question
            <input value={f.question} onInput={(e) => set(i, { question: e.currentTarget.value })} />
          </label>
          <label>
            Answer
            <textarea rows={3} value={f.answer} onInput={(e) => set(i, { answer: e.currentTarget.value })} />
          </label>
          <button type="button" class="danger small" onClick={() => setItems(items.filter((_, j) => j !== i))}>
            Remove
          </button>
        </fieldset>
      ))}
      <div class="row">
        <button type="button" onClick={() => setItems([...items, { question: '', answer: '' }])}>
          Add question
        </button>
        <button type="submit" class="primary">
          Save FAQ
        </button>
      </div>
    </form>
  );
}

function SettingsAdmin() {
  const { notify } = useSession();
  const [text, setText] = useState('');
  const [signup, setSignup] = useState('open');
  const [error, setError] = useState('');
  const load = () =>
    api.admin
      .settings()
      .then((s) => {
        setSignup(String(s.signup));
        const { signup: _s, ...rest } = s;
        setText(JSON.stringify(rest, null, 2));
      })
      .catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  return (
    <form
      class="card"
      aria-label="Server settings"
      onSubmit={async (e) => {
        e.preventDefault();
        let rest: object;
        try {
          rest = JSON.parse(text);
        } catch (err) {
          setError('Not valid JSON: ' + (err as Error).message);
          return;
        }
        try {
          await api.admin.putSettings({ signup, ...rest });
          setError('');
          notify('Settings saved', 'info');
          load();
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <label>
        Sign-up
        <select aria-label="Sign-up" value={signup} onChange={(e) => setSignup(e.currentTarget.value)}>
          <option value="open">open: anyone may make an account</option>
          <option value="closed">closed: admins make accounts</option>
        </select>
      </label>
      <label>
        Limits and quotas (default_limits: what a run gets unless it asks; max_limits: the most it may ask; default_quota: every user's
        unless set)
        <textarea class="code" rows={18} spellcheck={false} aria-label="Limits and quotas (JSON)" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary">
        Save settings
      </button>
    </form>
  );
}
