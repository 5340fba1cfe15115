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
  // The server's default quota per role (the default, then the role's fields over it).
  const [settings, setSettings] = useState<Record<string, unknown> | null>(null);
  useEffect(() => {
    load();
    api.admin.settings().then(setSettings).catch(() => {});
  }, []);
  const defaultsFor = (role: string): Quota | null => {
    if (!settings) return null;
    const base = { ...(settings.default_quota as Quota) };
    const roleQuota = ((settings.role_quotas as Record<string, Quota>) ?? {})[role];
    if (roleQuota) for (const [k, v] of Object.entries(roleQuota)) if (v) (base as Record<string, number>)[k] = v as number;
    return base;
  };
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
  const [newName, setNewName] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [newRole, setNewRole] = useState('user');
  const [createError, setCreateError] = useState('');
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await api.admin.createUser(newName, newPassword, newRole);
      notify(`Made the account ${newName}`, 'info');
      setNewName('');
      setNewPassword('');
      setCreateError('');
      load();
    } catch (err) {
      setCreateError(errorText(err));
    }
  };
  // Deleting an account: after a confirmation naming what goes with it.
  const remove = async (u: AdminUser) => {
    if (
      !confirm(
        `Delete the account ${u.username}? Their sessions and tokens end, their running programs stop, and their ` +
          `projects (with files, history and everyone's runs of them) and their own runs are deleted. This cannot be undone.`,
      )
    )
      return;
    try {
      await api.admin.deleteUser(u.id);
      notify(`Deleted the account ${u.username}`, 'info');
      if (editing === u.id) setEditing(null);
      load();
    } catch (e) {
      notify(errorText(e));
    }
  };
  const setPassword = async (u: AdminUser) => {
    const pw = window.prompt(`A new password for ${u.username} (ends their sessions and tokens):`);
    if (pw && (await update(u, { password: pw }))) notify(`Set a new password for ${u.username}`, 'info');
  };
  return (
    <div class="card">
      <form class="row wrap new-user" aria-label="New user" onSubmit={create}>
        <input aria-label="New user name" placeholder="user name" value={newName} onInput={(e) => setNewName(e.currentTarget.value)} required />
        <input
          aria-label="New user's password"
          type="password"
          autocomplete="new-password"
          placeholder="password (10+ characters)"
          value={newPassword}
          onInput={(e) => setNewPassword(e.currentTarget.value)}
          required
        />
        <select aria-label="New user's role" value={newRole} onChange={(e) => setNewRole(e.currentTarget.value)}>
          <option value="user">user</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
      <ErrorText text={createError} />
      <div class="table-scroll">
        <table class="table stack" aria-label="Users">
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
                  <td data-label="User">
                    <strong>{u.username}</strong>
                    {u.id === me?.id && <span class="muted small"> (you)</span>}
                    {u.builtin && <span class="muted small" title="The server's own account for visitors' runs"> (built-in)</span>}
                  </td>
                  <td data-label="Role">
                    <select aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => update(u, { role: e.currentTarget.value })}>
                      <option value="user">user</option>
                      <option value="admin">admin</option>
                    </select>
                  </td>
                  <td data-label="State">
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
                  <td data-label="Two-factor">{u.totp_enabled ? 'on' : 'off'}</td>
                  <td class="small" data-label="Quota">
                    {u.effective_quota.concurrent_runs || '∞'} runs · {u.effective_quota.cpus || '∞'} CPUs ·{' '}
                    {u.effective_quota.memory_bytes ? formatBytes(u.effective_quota.memory_bytes) : '∞'}
                  </td>
                  <td class="small" data-label="Active">{u.usage?.runs ?? 0} runs</td>
                  <td class="row actions">
                    <button class="small" onClick={() => setEditing(editing === u.id ? null : u.id)} aria-label={`Edit quota of ${u.username}`}>
                      Quota…
                    </button>
                    <button class="small" onClick={() => setPassword(u)} aria-label={`Set the password of ${u.username}`}>
                      Password…
                    </button>
                    {u.id !== me?.id && !u.builtin && (
                      <button class="small danger" onClick={() => remove(u)} aria-label={`Delete ${u.username}`}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
                {editing === u.id && (
                  <tr key={`${u.id}-quota`}>
                    <td colSpan={7}>
                      <QuotaForm
                        quota={u.quota}
                        defaults={defaultsFor(u.role)}
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
      <p class="muted small">Disabling a user or setting a password ends all of their sessions and tokens; deleting one removes their projects and runs too. Quota fields at 0 take the server's default.</p>
    </div>
  );
}

function QuotaForm(props: { quota: Quota; defaults: Quota | null; onSave: (q: Quota) => void }) {
  const [q, setQ] = useState({ ...props.quota });
  // What a field at 0 means: the server's default for the user's role.
  const serverDefault = (key: keyof Quota, scale: number) => {
    if (!props.defaults) return null;
    const v = props.defaults[key];
    return <small class="muted" data-testid={`default-${key}`}>server default: {v ? +(v / scale).toFixed(2) : 'no limit'}</small>;
  };
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
      {serverDefault(key, scale)}
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
        {serverDefault('cpus', 1)}
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
              <th>Availability</th>
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
                <td class="availability" data-testid={`availability-${d.id}`}>
                  {d.available ? (
                    <span class="ok">available</span>
                  ) : d.enabled === false ? (
                    <span class="muted">disabled</span>
                  ) : (
                    <span class="error small">{String(d.problem ?? 'unavailable')}</span>
                  )}
                </td>
                <td>
                  <button
                    class="small"
                    onClick={() => {
                      const { enabled: _enabled, available: _available, problem: _problem, ...rest } = d;
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

// A duration of the API's limits form ("2s", "5000ms", "1m", 3) in seconds.
function secondsOf(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const m = String(v).trim().match(/^([\d.]+)\s*(ms|s|m|h)?$/);
  if (!m) return null;
  const n = Number(m[1]);
  return { ms: n / 1000, s: n, m: n * 60, h: n * 3600 }[m[2] ?? 's'] ?? null;
}

// A size of the limits form ("256M", "1G", 1048576) in MiB.
function mibOf(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const m = String(v).trim().match(/^([\d.]+)\s*([KMGT]i?B?)?$/i);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const bytes = n * ({ K: 1024, M: 1 << 20, G: 1 << 30, T: 2 ** 40 }[unit] ?? 1);
  return +(bytes / (1 << 20)).toFixed(3);
}

// The limits an admin edits, each with how it is shown and sent.
const LIMIT_FIELDS: { key: string; label: string; unit: string; read: (v: unknown) => number | null; write: (n: number) => string | number }[] = [
  { key: 'time', label: 'CPU time', unit: 's', read: secondsOf, write: (n) => `${n}s` },
  { key: 'wall', label: 'Wall time', unit: 's', read: secondsOf, write: (n) => `${n}s` },
  { key: 'memory', label: 'Memory', unit: 'MiB', read: mibOf, write: (n) => `${n}M` },
  { key: 'output', label: 'Output', unit: 'MiB', read: mibOf, write: (n) => `${n}M` },
  { key: 'disk', label: 'Disk', unit: 'MiB', read: mibOf, write: (n) => `${n}M` },
  { key: 'pids', label: 'Processes', unit: '', read: (v) => (v === undefined || v === '' ? null : Number(v)), write: (n) => n },
  { key: 'cpus', label: 'CPUs', unit: '', read: (v) => (v === undefined || v === '' ? null : Number(v)), write: (n) => n },
];

const QUOTA_FIELDS: { key: string; label: string; scale: number; unit: string }[] = [
  { key: 'concurrent_runs', label: 'Runs at once', scale: 1, unit: '' },
  { key: 'cpus', label: 'CPUs', scale: 1, unit: '' },
  { key: 'memory_bytes', label: 'Memory', scale: 1 << 20, unit: 'MiB' },
  { key: 'disk_bytes', label: 'Disk per run', scale: 1 << 20, unit: 'MiB' },
  { key: 'time_ms', label: 'Time per run', scale: 1000, unit: 's' },
  { key: 'projects', label: 'Projects', scale: 1, unit: '' },
  { key: 'stored_bytes', label: 'Stored files', scale: 1 << 20, unit: 'MiB' },
];

type Fields = Record<string, string>;

function SettingsAdmin() {
  const { notify } = useSession();
  const [loaded, setLoaded] = useState<Record<string, unknown> | null>(null);
  const [f, setF] = useState<Fields>({});
  const [advanced, setAdvanced] = useState('');
  const [error, setError] = useState('');
  const load = () =>
    api.admin
      .settings()
      .then((s) => {
        const fields: Fields = {
          signup: String(s.signup),
          anonymous_runs: s.anonymous_runs ? 'yes' : '',
          interactive_wall: String(Number(s.interactive_wall_ms ?? 0) / 60000),
          interactive_idle: String(Number(s.interactive_idle_ms ?? 0) / 60000),
          log_mib: String(+(Number(s.log_bytes_per_run ?? 0) / (1 << 20)).toFixed(3)),
          keep_days: String(s.execute_runs_keep_days ?? 0),
          keep_per_user: String(s.execute_runs_per_user ?? 0),
          streams: String(s.sse_streams_per_user ?? 0),
        };
        const def = (s.default_limits ?? {}) as Record<string, unknown>;
        const max = (s.max_limits ?? {}) as Record<string, unknown>;
        for (const l of LIMIT_FIELDS) {
          const d = l.read(def[l.key]);
          fields['default.' + l.key] = d === null ? '' : String(d);
          const m = l.read(max[l.key]);
          fields['max.' + l.key] = m === null ? '' : String(m);
        }
        const quota = (s.default_quota ?? {}) as Record<string, number>;
        for (const q of QUOTA_FIELDS) fields['quota.' + q.key] = String(+((quota[q.key] ?? 0) / q.scale).toFixed(3));
        setF(fields);
        setAdvanced(JSON.stringify({ role_max_limits: s.role_max_limits ?? {}, role_quotas: s.role_quotas ?? {} }, null, 2));
        setLoaded(s);
      })
      .catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  if (!loaded) return <p class="loading">Loading…</p>;
  const machine = (loaded.machine_limits ?? {}) as Record<string, unknown>;
  const set = (key: string) => (e: Event) => setF({ ...f, [key]: (e.currentTarget as HTMLInputElement).value });
  const num = (key: string, label: string, extra: Record<string, unknown> = {}) => (
    <input type="number" min={0} step="any" aria-label={label} value={f[key] ?? ''} onInput={set(key)} {...extra} />
  );

  const save = async (e: Event) => {
    e.preventDefault();
    const bad: string[] = [];
    const number = (key: string, what: string, allowEmpty = false): number | null => {
      const text = (f[key] ?? '').trim();
      if (text === '' && allowEmpty) return null;
      const n = Number(text);
      if (text === '' || !(n >= 0) || !isFinite(n)) bad.push(what);
      return n;
    };
    const body: Record<string, unknown> = {
      signup: f.signup,
      anonymous_runs: !!f.anonymous_runs,
      interactive_wall_ms: Math.round((number('interactive_wall', 'Interactive wall time') ?? 0) * 60000),
      interactive_idle_ms: Math.round((number('interactive_idle', 'Idle time') ?? 0) * 60000),
      log_bytes_per_run: Math.round((number('log_mib', 'Log per run') ?? 0) * (1 << 20)),
      execute_runs_keep_days: number('keep_days', 'Days kept') ?? 0,
      execute_runs_per_user: Math.round(number('keep_per_user', 'Runs kept per user') ?? 0),
      sse_streams_per_user: Math.round(number('streams', 'Event streams per user') ?? 0),
    };
    const defaults: Record<string, unknown> = {};
    const max: Record<string, unknown> = {};
    for (const l of LIMIT_FIELDS) {
      const d = number('default.' + l.key, `Default ${l.label}`, true);
      if (d !== null) defaults[l.key] = l.write(d);
      const m = number('max.' + l.key, `Maximum ${l.label}`, true);
      if (m !== null) max[l.key] = l.write(m);
    }
    body.default_limits = defaults;
    body.max_limits = max;
    const quota: Record<string, number> = {};
    for (const q of QUOTA_FIELDS) quota[q.key] = q.key === 'cpus' ? (number('quota.' + q.key, q.label) ?? 0) : Math.round((number('quota.' + q.key, q.label) ?? 0) * q.scale);
    body.default_quota = quota;
    if (bad.length) {
      setError(`Not a number (0 or more): ${bad.join(', ')}`);
      return;
    }
    try {
      Object.assign(body, JSON.parse(advanced));
    } catch (err) {
      setError('Per-role settings are not valid JSON: ' + (err as Error).message);
      return;
    }
    try {
      await api.admin.putSettings(body);
      setError('');
      notify('Settings saved', 'info');
      load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form class="card settings" aria-label="Server settings" onSubmit={save}>
      <h3>Accounts and visitors</h3>
      <label>
        Sign-up
        <select aria-label="Sign-up" value={f.signup} onChange={set('signup')}>
          <option value="open">open: anyone may make an account</option>
          <option value="closed">closed: admins make accounts</option>
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={!!f.anonymous_runs}
          onChange={(e) => setF({ ...f, anonymous_runs: e.currentTarget.checked ? 'yes' : '' })}
        />{' '}
        Visitors who are not logged in may run public projects (as the account <code>anonymous</code>, within its quota)
      </label>
      <h3>Interactive runs</h3>
      <div class="row wrap">
        <label>
          Wall time (min)
          {num('interactive_wall', 'Interactive wall time (minutes)')}
          <small class="muted">unless the run asks; never above a user's maximum</small>
        </label>
        <label>
          Stop after no input and no output for (min)
          {num('interactive_idle', 'Idle time (minutes)')}
          <small class="muted">0: never</small>
        </label>
      </div>
      <h3>Limits of every run</h3>
      <div class="table-scroll">
        <table class="table settings-limits" aria-label="Limits of every run">
          <thead>
            <tr>
              <th>Limit</th>
              <th>Default (empty: the runtime's)</th>
              <th>Users' maximum</th>
              <th>The machine gives</th>
            </tr>
          </thead>
          <tbody>
            {LIMIT_FIELDS.map((l) => (
              <tr key={l.key}>
                <td>
                  {l.label}
                  {l.unit && <span class="muted"> ({l.unit})</span>}
                </td>
                <td>{num('default.' + l.key, `Default ${l.label}`)}</td>
                <td>{num('max.' + l.key, `Maximum ${l.label}`)}</td>
                <td class="muted">{Math.round(l.read(machine[l.key]) ?? NaN) || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Every user's quota (0: no limit; a user's own fields go over it)</h3>
      <div class="row wrap">
        {QUOTA_FIELDS.map((q) => (
          <label key={q.key}>
            {q.label}
            {q.unit && ` (${q.unit})`}
            {num('quota.' + q.key, `Default quota: ${q.label}`)}
          </label>
        ))}
      </div>
      <h3>Storage</h3>
      <div class="row wrap">
        <label>
          Log kept per run (MiB)
          {num('log_mib', 'Log kept per run (MiB)')}
        </label>
        <label>
          API runs kept (days)
          {num('keep_days', 'API runs kept (days)')}
        </label>
        <label>
          API runs kept per user
          {num('keep_per_user', 'API runs kept per user')}
        </label>
        <label>
          Live streams per user
          {num('streams', 'Live streams per user')}
        </label>
      </div>
      <details>
        <summary>Per-role maxima and quotas (JSON)</summary>
        <textarea class="code" rows={10} spellcheck={false} aria-label="Per-role settings (JSON)" value={advanced} onInput={(e) => setAdvanced(e.currentTarget.value)} />
      </details>
      <ErrorText text={error} />
      <button type="submit" class="primary">
        Save settings
      </button>
    </form>
  );
}
