// Log in (with the two-factor step when the account has it) and sign up.
import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api';
import { useSession } from '../app';
import { linkHandler, navigate, useTitle } from '../router';
import { ErrorText, Field } from '../components/forms';

export function LoginPage() {
  const { setUser } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useTitle('Log in');

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
            <Field label="User name" name="username" autoComplete="username" required autoFocus value={username} onValue={setUsername} />
            <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
          </>
        ) : (
          <Field label="Code from your authenticator app (or a recovery code)" name="totp" inputMode="text" autoCapitalize="off" spellcheck={false} autoComplete="one-time-code" required autoFocus value={totp} onValue={setTotp} />
        )}
        <ErrorText text={error} />
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
  useTitle('Sign up');

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
        <Field label="User name" name="username" autoComplete="username" required minLength={3} maxLength={32} autoFocus value={username} onValue={setUsername} hint="3–32 characters: a–z, 0–9, _ - ." />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required value={password} onValue={setPassword} />
        <Field label="Password again" name="confirm" type="password" autoComplete="new-password" required value={confirm} onValue={setConfirm} />
        <ErrorText text={error} />
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
