// The admin portal: users, runtimes, platforms, the global FAQ and server settings.
// The server enforces the admin role on every /admin route; this page only shows them.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, Faq, formatBytes, Quota, User } from '../api';
import { useSession } from '../app';
import { linkHandler, useTitle } from '../router';
import { ErrorText } from '../components/forms';

const TABS = [
  ['users', 'Users'],
  ['runtimes', 'Runtimes'],
  ['platforms', 'Platforms'],
  ['faq', 'FAQ'],
  ['settings', 'Settings'],
] as const;

export function AdminPage({ tab }: { tab: string }) {
  useTitle(`Admin: ${TABS.find(([id]) => id === tab)?.[1] ?? tab}`);
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
      <div class="table-scroll">
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
      </div>
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

  const save = async (def: Record<string, unknown>) => {
    if (!editing) return;
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
        <RuntimeForm
          key={editing.id ?? 'new'}
          id={editing.id}
          initial={editing.text}
          error={error}
          onSave={save}
          onCancel={() => {
            setEditing(null);
            setError('');
          }}
        />
      )}
      <div class="table-scroll">
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
    </div>
  );
}

// A runtime definition as a form (the common fields) or as its JSON (everything).
function RuntimeForm(props: {
  id: string | null;
  initial: string;
  error: string;
  onSave: (def: Record<string, unknown>) => void;
  onCancel: () => void;
}) {
  const [def, setDef] = useState<Record<string, any>>(() => JSON.parse(props.initial));
  const [asJson, setAsJson] = useState(false);
  const [json, setJson] = useState(props.initial);
  const [problem, setProblem] = useState('');
  const set = (key: string, value: unknown) => setDef({ ...def, [key]: value });
  const limits = (phase: 'build' | 'run') => (def.limits?.[phase] ?? {}) as Record<string, string | number>;
  const setLimit = (phase: 'build' | 'run', key: string, value: string) => {
    const next = { ...limits(phase) };
    if (value.trim()) next[key] = /^\d+$/.test(value.trim()) && key === 'pids' ? Number(value) : value.trim();
    else delete next[key];
    set('limits', { ...(def.limits ?? {}), [phase]: next });
  };
  const command = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v) : typeof v === 'string' ? v : '');
  const parseCommand = (text: string): unknown => {
    const t = text.trim();
    if (!t) return undefined;
    if (t.startsWith('[')) {
      try {
        return JSON.parse(t);
      } catch {
        return t;
      }
    }
    return t;
  };
  const text = (key: string, label: string, hint?: string, required = false) => (
    <label>
      {label}
      <input aria-label={label} value={def[key] ?? ''} required={required} onInput={(e) => set(key, e.currentTarget.value)} readOnly={key === 'id' && !!props.id} />
      {hint && <small class="muted">{hint}</small>}
    </label>
  );
  const toggle = () => {
    if (asJson) {
      try {
        setDef(JSON.parse(json));
        setProblem('');
      } catch (e) {
        setProblem('Not valid JSON: ' + (e as Error).message);
        return;
      }
    } else {
      setJson(JSON.stringify(def, null, 2));
    }
    setAsJson(!asJson);
  };
  const submit = (e: Event) => {
    e.preventDefault();
    let out: Record<string, unknown> = def;
    if (asJson) {
      try {
        out = JSON.parse(json);
      } catch (err) {
        setProblem('Not valid JSON: ' + (err as Error).message);
        return;
      }
    }
    setProblem('');
    const clean = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && v !== ''));
    props.onSave(clean);
  };
  const faq: { question: string; answer: string }[] = Array.isArray(def.faq) ? def.faq : [];
  return (
    <form onSubmit={submit} class="runtime-form card" aria-label={props.id ? `Edit runtime ${props.id}` : 'New runtime'}>
      <div class="row">
        <h3 class="grow">{props.id ? `Edit ${props.id}` : 'New runtime'}</h3>
        <button type="button" class="small" onClick={toggle}>
          {asJson ? 'Edit as a form' : 'Edit as JSON'}
        </button>
      </div>
      {asJson ? (
        <textarea class="code" aria-label="Runtime definition (JSON)" rows={22} spellcheck={false} value={json} onInput={(e) => setJson(e.currentTarget.value)} />
      ) : (
        <>
          <div class="form-grid">
            {text('id', 'Id', 'a-z, 0-9, . and -; what projects name', true)}
            {text('name', 'Display name', 'e.g. Python 3.11', true)}
            {text('language', 'Language', 'go, python, javascript, ...', true)}
            {text('version', 'Version')}
            {text('os', 'OS', 'e.g. Debian 12 (bookworm)')}
            {text('arch', 'Arch', 'empty: this machine')}
            {text('image', 'Image', '"host", or an image from runlet image build', true)}
            {text('main_file', 'Main file', 'e.g. main.py')}
            {text('platform', 'Platform', 'empty: the default platform')}
            <label>
              File extensions
              <input
                aria-label="File extensions"
                value={(def.extensions ?? []).join(', ')}
                onInput={(e) =>
                  set(
                    'extensions',
                    e.currentTarget.value
                      .split(',')
                      .map((x) => x.trim())
                      .filter(Boolean),
                  )
                }
              />
              <small class="muted">comma-separated, e.g. .py</small>
            </label>
          </div>
          <label>
            Description
            <input aria-label="Description" value={def.description ?? ''} onInput={(e) => set('description', e.currentTarget.value)} />
          </label>
          <label>
            Build command
            <input class="code" aria-label="Build command" value={command(def.build)} onInput={(e) => set('build', parseCommand(e.currentTarget.value))} />
            <small class="muted">optional; a shell command, or a JSON list of arguments</small>
          </label>
          <label>
            Run command
            <input class="code" aria-label="Run command" required value={command(def.run)} onInput={(e) => set('run', parseCommand(e.currentTarget.value))} />
            <small class="muted">a shell command, or a JSON list: ["python3", "main.py"]</small>
          </label>
          {(['build', 'run'] as const).map((phase) => (
            <fieldset key={phase} class="limits">
              <legend>Limits of the {phase} step</legend>
              {(['time', 'wall', 'memory', 'pids', 'output', 'disk'] as const).map((k) => (
                <label key={k}>
                  {k}
                  <input
                    aria-label={`${phase} ${k}`}
                    placeholder={{ time: '5s', wall: '10s', memory: '256M', pids: '64', output: '1M', disk: '64M' }[k]}
                    value={String(limits(phase)[k] ?? '')}
                    onInput={(e) => setLimit(phase, k, e.currentTarget.value)}
                  />
                </label>
              ))}
            </fieldset>
          ))}
          <fieldset>
            <legend>FAQ</legend>
            {faq.map((f, i) => (
              <div class="row" key={i}>
                <input aria-label={`Question ${i + 1}`} placeholder="Question" value={f.question} onInput={(e) => set('faq', faq.map((x, j) => (j === i ? { ...x, question: e.currentTarget.value } : x)))} />
                <input aria-label={`Answer ${i + 1}`} placeholder="Answer" class="grow" value={f.answer} onInput={(e) => set('faq', faq.map((x, j) => (j === i ? { ...x, answer: e.currentTarget.value } : x)))} />
                <button type="button" class="icon-btn" aria-label={`Remove question ${i + 1}`} onClick={() => set('faq', faq.filter((_, j) => j !== i))}>
                  ×
                </button>
              </div>
            ))}
            <button type="button" class="small" onClick={() => set('faq', [...faq, { question: '', answer: '' }])}>
              Add question
            </button>
          </fieldset>
          <p class="muted small">Environment variables and anything else: Edit as JSON.</p>
        </>
      )}
      {(problem || props.error) && (
        <p class="error" role="alert">
          {problem || props.error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary">
          Save runtime
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
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
      <div class="table-scroll">
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
      <ErrorText text={error} />
      <button type="submit" class="primary">
        Save settings
      </button>
    </form>
  );
}
