// Log in (with the two-factor step when the account has it) and sign up.
import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api';
import { useSession } from '../app';
import { linkHandler, navigate } from '../router';

export function LoginPage() {
  const { setUser } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await api.login(username, password, needTotp ? totp : undefined);
      setUser(await api.me().catch(() => r.user));
      if (location.pathname === '/login' || location.pathname === '/signup') navigate('/projects', true);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') {
        setNeedTotp(true);
        setError('');
      } else {
        setError(errorText(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page narrow auth">
      <h1>Log in</h1>
      <form onSubmit={submit} aria-label="Log in">
        {!needTotp ? (
          <>
            <label>
              User name
              <input
                name="username"
                autoComplete="username"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                required
                autoFocus
              />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                required
              />
            </label>
          </>
        ) : (
          <label>
            Code from your authenticator app (or a recovery code)
            <input
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={totp}
              onInput={(e) => setTotp(e.currentTarget.value)}
              required
              autoFocus
            />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {needTotp ? 'Verify' : 'Log in'}
        </button>
      </form>
      <p class="muted">
        No account?{' '}
        <a href="/signup" onClick={linkHandler}>
          Sign up
        </a>{' '}
        · or browse the{' '}
        <a href="/gallery" onClick={linkHandler}>
          gallery
        </a>
      </p>
    </section>
  );
}

export function SignupPage() {
  const { setUser } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (password !== confirm) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await api.signup(username, password);
      await api.login(username, password);
      setUser(await api.me());
      navigate('/projects', true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page narrow auth">
      <h1>Sign up</h1>
      <form onSubmit={submit} aria-label="Sign up">
        <label>
          User name
          <input
            name="username"
            autoComplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
            minLength={3}
            maxLength={32}
            autoFocus
          />
          <small>3–32 characters: a–z, 0–9, _ - .</small>
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password again
          <input
            name="confirm"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onInput={(e) => setConfirm(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Create account
        </button>
      </form>
      <p class="muted">
        Have an account?{' '}
        <a href="/login" onClick={linkHandler}>
          Log in
        </a>
      </p>
    </section>
  );
}
