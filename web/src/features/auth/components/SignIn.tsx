import { type FormEvent, useEffect, useRef, useState } from "react";
import { mfaSignInMessage } from "../../account/messages";
import { Field } from "../../../components/Field";
import { navigate, useLocation } from "../../../router";
import { safeNext } from "../../../paths";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { signInMessage } from "../messages";
import { SignInWithPasskey } from "../../passkeys";

/** The second step: a code from the authenticator app, or one of the recovery codes. */
function MfaStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const { completeMfa } = useSession();
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState("");
  const { busy, waiting, error, setError, run } = useSubmit(async () => {
    try {
      await completeMfa(mfaToken, recovery ? code.trim().toLowerCase() : code.replace(/\s+/g, ""));
    } catch (e) {
      // A refused code is cleared here, not in the describe step: that runs again on every second of a wait.
      setCode("");
      throw e;
    }
  }, mfaSignInMessage);
  const input = useRef<HTMLInputElement>(null);
  const alert = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, [recovery]);
  useEffect(() => {
    if (error) alert.current?.focus();
  }, [error]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  return (
    <section className="card auth-card" aria-labelledby="mfa-title">
      <h1 id="mfa-title">Two-step verification</h1>
      <p className="muted">
        {recovery
          ? "Enter one of the recovery codes you saved when you turned on two-step verification. Each code works once."
          : "Open your authenticator app and enter the 6-digit code it shows for Profile pictures."}
      </p>
      {error && (
        <p className="alert alert-error" role="alert" tabIndex={-1} ref={alert}>
          {error}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field
          key={recovery ? "recovery" : "totp"}
          ref={input}
          label={recovery ? "Recovery code" : "Authentication code"}
          name={recovery ? "recovery_code" : "code"}
          autoComplete="one-time-code"
          inputMode={recovery ? "text" : "numeric"}
          autoCapitalize="none"
          spellCheck={false}
          maxLength={recovery ? 20 : 6}
          pattern={recovery ? undefined : "[0-9]{6}"}
          hint={recovery ? "Like k7m2q-x9dfa." : "6 digits."}
          required
          value={code}
          onChange={(e) => setCode(recovery ? e.target.value : e.target.value.replace(/\D/g, ""))}
        />
        <button className="button button-block" type="submit" disabled={busy || waiting > 0 || code.trim().length < 6}>
          {busy ? "Checking…" : "Verify and sign in"}
        </button>
      </form>
      <div className="actions stacked-actions">
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setRecovery(!recovery);
            setCode("");
            setError(null);
          }}
        >
          {recovery ? "Use a code from your authenticator app" : "Use a recovery code instead"}
        </button>
        <button type="button" className="link-button" onClick={onRestart}>
          Start over
        </button>
      </div>
    </section>
  );
}

export function SignIn() {
  const { signIn, status } = useSession();
  const location = useLocation();
  const next = safeNext(location.slice(location.indexOf("?") >= 0 ? location.indexOf("?") : location.length));
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const { busy, waiting, error, run } = useSubmit(async () => {
    const result = await signIn(login.trim(), password);
    if (result.mfaRequired) {
      setMfaToken(result.mfaToken);
      setPassword("");
    }
  }, signInMessage);
  const alert = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (status === "signed-in") navigate(next, { replace: true });
  }, [status, next]);
  useEffect(() => {
    if (error) alert.current?.focus();
  }, [error]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  if (mfaToken !== null) {
    return (
      <main id="main" className="auth-page">
        <MfaStep mfaToken={mfaToken} onRestart={() => setMfaToken(null)} />
      </main>
    );
  }

  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p className="muted">Welcome back. Sign in to change your profile picture.</p>
        {error && (
          <p className="alert alert-error" role="alert" tabIndex={-1} ref={alert}>
            {error}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <Field
            label="Email or username"
            name="login"
            autoComplete="username"
            required
            value={login}
            onChange={(e) => setLogin(e.target.value)}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button className="button button-block" type="submit" disabled={busy || waiting > 0 || !login || !password}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <SignInWithPasskey />
        <p className="muted">
          <Link href="/forgot-password">Forgot your password?</Link>
        </p>
        <p className="muted">
          New here?{" "}
          <Link href={next === "/" ? "/register" : `/register?next=${encodeURIComponent(next)}`}>
            Create an account
          </Link>
        </p>
      </section>
    </main>
  );
}
