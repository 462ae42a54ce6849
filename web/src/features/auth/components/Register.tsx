import { type FormEvent, useEffect, useRef, useState } from "react";
import { PASSWORD_MIN } from "../../account/messages";
import { Field } from "../../../components/Field";
import { navigate, useHydrated, useLocation } from "../../../router";
import { safeNext } from "../../../paths";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { registerErrors, validate } from "../messages";

export function Register() {
  // Prerendered: read-only until the app has taken the page over (useHydrated).
  const live = useHydrated();
  const { register, status } = useSession();
  const location = useLocation();
  const next = safeNext(location.includes("?") ? location.slice(location.indexOf("?")) : "");
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, waiting, error, setError, run } = useSubmit(
    () => register({ email: email.trim(), username, password }),
    registerErrors,
  );
  const errors = error ?? {};
  const alert = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (status === "signed-in") navigate(next === "/" ? "/profile" : next, { replace: true });
  }, [status, next]);
  useEffect(() => {
    if (errors.form) alert.current?.focus();
  }, [errors.form]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(email, username, password);
    if (Object.keys(found).length > 0) setError(found);
    else void run();
  };

  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="register-title">
        <h1 id="register-title">Create your account</h1>
        <p className="muted">It takes a few seconds. Then pick a profile picture.</p>
        {errors.form && (
          <p className="alert alert-error" role="alert" tabIndex={-1} ref={alert}>
            {errors.form}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <Field
            readOnly={!live}
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            required
            value={email}
            error={errors.email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <Field
            readOnly={!live}
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            hint="Lower-case letters, digits, dot, dash or underscore."
            value={username}
            error={errors.username}
            onChange={(e) => setUsername(e.target.value.toLowerCase())}
          />
          <Field
            readOnly={!live}
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            hint={`At least ${PASSWORD_MIN} characters.`}
            value={password}
            error={errors.password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button className="button button-block" type="submit" disabled={!live || busy || waiting > 0}>
            {busy ? "Creating account…" : "Create account"}
          </button>
        </form>
        <p className="muted">
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </p>
      </section>
    </main>
  );
}
