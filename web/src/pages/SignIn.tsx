import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/problem";
import { Field } from "../components/Field";
import { Link, navigate, safeNext, useLocation } from "../router";
import { useSession } from "../session";

export function signInMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "That email or username and password don't match. Check them and try again.";
    if (error.status === 429) {
      const wait = error.retryAfter;
      return `Too many attempts. Please wait${wait ? ` ${wait} second${wait === 1 ? "" : "s"}` : " a moment"} and try again.`;
    }
    if (error.status >= 500) return "Sign-in is unavailable right now. Please try again shortly.";
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

export function SignIn() {
  const { signIn, status } = useSession();
  const location = useLocation();
  const next = safeNext(location.slice(location.indexOf("?") >= 0 ? location.indexOf("?") : location.length));
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const alert = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (status === "signed-in") navigate(next, { replace: true });
  }, [status, next]);
  useEffect(() => {
    if (error) alert.current?.focus();
  }, [error]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(login.trim(), password);
    } catch (e) {
      setError(signInMessage(e));
    } finally {
      setBusy(false);
    }
  };

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
          <button className="button button-block" type="submit" disabled={busy || !login || !password}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <p className="muted">
          New here?{" "}
          <Link href={next === "/" ? "/register" : `/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
        </p>
      </section>
    </main>
  );
}
