// The account: password, two-factor enrolment (QR code), API tokens.
import { useEffect, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { api, errorText, formatBytes, Token } from '../api';
import { useSession } from '../app';
import { useTitle } from '../router';
import { ErrorText } from '../components/forms';

export function AccountPage() {
  const { user, setUser } = useSession();
  useTitle('Account');
  if (!user) return null;
  const q = user.quota;
  return (
    <section class="page">
      <h1>Account: {user.username}</h1>
      <div class="grid2">
        <div class="card">
          <h2>Usage and quota</h2>
          <dl class="facts">
            <dt>Role</dt>
            <dd>{user.role}</dd>
            <dt>Runs at once</dt>
            <dd>
              {user.usage?.runs ?? 0} of {q.concurrent_runs || 'the server default'}
            </dd>
            <dt>CPUs held</dt>
            <dd>{q.cpus ? `${user.usage?.cpus ?? 0} of ${q.cpus}` : 'no quota'}</dd>
            <dt>Memory held</dt>
            <dd>{q.memory_bytes ? `${formatBytes(user.usage?.memory_bytes ?? 0)} of ${formatBytes(q.memory_bytes)}` : 'no quota'}</dd>
            <dt>Disk per run</dt>
            <dd>{q.disk_bytes ? formatBytes(q.disk_bytes) : 'the server default'}</dd>
            <dt>Time per run</dt>
            <dd>{q.time_ms ? `${q.time_ms / 1000} s` : 'the server default'}</dd>
          </dl>
        </div>
        <PasswordCard />
        <TotpCard enabled={user.totp_enabled} onChange={() => api.me().then(setUser)} />
        <TokensCard />
      </div>
    </section>
  );
}

function PasswordCard() {
  const { notify } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="card"
      aria-label="Change password"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.changePassword(current, next);
          setCurrent('');
          setNext('');
          setError('');
          notify('Password changed', 'info');
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <h2>Password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} required />
      </label>
      <ErrorText text={error} />
      <button type="submit">Change password</button>
    </form>
  );
}

function TotpCard(props: { enabled: boolean; onChange: () => void }) {
  const [setup, setSetup] = useState<{ secret: string; uri: string; qr: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState('');

  const begin = async () => {
    setError('');
    try {
      const r = await api.totpBegin();
      const qr = await QRCode.toDataURL(r.otpauth_uri, { margin: 1, width: 200 });
      setSetup({ secret: r.secret, uri: r.otpauth_uri, qr });
    } catch (e) {
      setError(errorText(e));
    }
  };
  const verify = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api.totpVerify(code.trim());
      setCodes(r.recovery_codes);
      setSetup(null);
      setCode('');
      setError('');
      props.onChange();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const disable = async (e: Event) => {
    e.preventDefault();
    try {
      await api.totpDisable(code.trim());
      setCode('');
      setError('');
      props.onChange();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div class="card" aria-label="Two-factor authentication">
      <h2>Two-factor authentication</h2>
      {codes && (
        <div class="notice" data-testid="recovery-codes">
          <p>
            <strong>Two-factor login is on.</strong> Keep these recovery codes somewhere safe; each works once, in place of a code:
          </p>
          <ul class="codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {props.enabled && !setup ? (
        <form onSubmit={disable}>
          <p>On: logging in asks for a code from your authenticator app.</p>
          <label>
            Code or recovery code (to turn it off)
            <input name="totp-off" inputMode="text" autoCapitalize="off" spellcheck={false} autoComplete="one-time-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
          </label>
          <button type="submit" class="danger">
            Turn off two-factor login
          </button>
        </form>
      ) : setup ? (
        <form onSubmit={verify}>
          <p>Scan the code with an authenticator app, or type the secret in, then enter the code it shows.</p>
          <img src={setup.qr} width={200} height={200} alt="QR code of the two-factor secret" data-testid="totp-qr" />
          <p>
            Secret: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <label>
            Code from the app
            <input
              name="totp-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
              required
              autoFocus
            />
          </label>
          <button type="submit" class="primary">
            Verify and turn on
          </button>
        </form>
      ) : (
        <>
          <p>Off. A second step at login, with a code from an app such as FreeOTP or Aegis, protects your code if your password leaks.</p>
          <button onClick={begin}>Set up two-factor login</button>
        </>
      )}
      <ErrorText text={error} />
    </div>
  );
}

function TokensCard() {
  const { notify } = useSession();
  const [tokens, setTokens] = useState<Token[]>([]);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [fresh, setFresh] = useState<string | null>(null);
  const load = () => api.tokens().then(setTokens).catch((e) => notify(errorText(e)));
  useEffect(() => {
    load();
  }, []);
  return (
    <div class="card" aria-label="API tokens">
      <h2>API tokens</h2>
      <p class="muted small">
        For programs and the command line: <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            // A code from the app is six digits, a recovery code xxxxx-xxxxx; passwords are longer.
            const proof = /^([0-9]{6}|[a-z2-7]{5}-[a-z2-7]{5})$/.test(password.trim()) ? { totp: password.trim() } : { password };
            const t = await api.createToken(name.trim() || 'token', proof);
            setFresh(t.token);
            setName('');
            setPassword('');
            load();
          } catch (err) {
            notify(errorText(err));
          }
        }}
      >
        <input aria-label="Token name" placeholder="name, e.g. ci" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <input
          type="password"
          aria-label="Your password (or two-factor code) for the new token"
          placeholder="your password or 2FA code"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit">Create token</button>
      </form>
      {fresh && (
        <p class="notice">
          Copy it now, it is shown once: <code data-testid="new-token">{fresh}</code>
        </p>
      )}
      <ul class="tokens">
        {tokens.map((t) => (
          <li key={t.id} class="row">
            <strong>{t.name}</strong>
            <span class="muted small">
              made {new Date(t.created_at).toLocaleDateString()}
              {t.last_used_at ? ` · last used ${new Date(t.last_used_at).toLocaleString()}` : ' · never used'}
            </span>
            <div class="spacer" />
            <button
              class="danger small"
              aria-label={`Revoke ${t.name}`}
              onClick={async () => {
                try {
                  await api.deleteToken(t.id);
                  load();
                } catch (e) {
                  notify(errorText(e));
                }
              }}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
