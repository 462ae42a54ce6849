import { type FormEvent, useEffect, useRef, useState } from "react";
import { PASSWORD_MAX, PASSWORD_MIN } from "../../account/messages";
import { ApiError } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { Link, navigate, safeNext, useLocation } from "../../../router";
import { useSession } from "../../../session";

type Errors = Partial<Record<"email" | "username" | "password" | "form", string>>;

const USERNAME = /^[a-z0-9_.-]{3,30}$/;

export function validate(email: string, username: string, password: string): Errors {
  const errors: Errors = {};
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) errors.email = "Enter an email address like name@example.com.";
  if (!USERNAME.test(username))
    errors.username = "3 to 30 characters: lower-case letters, digits, dot, dash or underscore.";
  if (password.length < PASSWORD_MIN) errors.password = `At least ${PASSWORD_MIN} characters.`;
  else if (password.length > PASSWORD_MAX) errors.password = `At most ${PASSWORD_MAX} characters.`;
  return errors;
}

export function registerErrors(error: unknown): Errors {
  if (error instanceof ApiError) {
    if (error.status === 409) {
      const field = error.problem.field ?? (/(email|username)/.exec(error.message)?.[1] as string | undefined);
      if (field === "email") return { email: "An account with this email already exists. Try signing in." };
      if (field === "username") return { username: "That username is taken. Try another one." };
    }
    const fields = error.fieldMessages();
    const out: Errors = {};
    for (const key of ["email", "username", "password"] as const) if (fields[key]) out[key] = fields[key];
    if (Object.keys(out).length > 0) return out;
    if (error.status === 429) return { form: "Too many attempts. Please wait a moment and try again." };
    return {
      form: error.status >= 500 ? "We couldn't create your account right now. Please try again." : error.message,
    };
  }
  return { form: error instanceof Error ? error.message : "Something went wrong." };
}

export function Register() {
  const { register, status } = useSession();
  const location = useLocation();
  const next = safeNext(location.includes("?") ? location.slice(location.indexOf("?")) : "");
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const alert = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (status === "signed-in") navigate(next === "/" ? "/profile" : next, { replace: true });
  }, [status, next]);
  useEffect(() => {
    if (errors.form) alert.current?.focus();
  }, [errors.form]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(email, username, password);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await register({ email: email.trim(), username, password });
    } catch (e) {
      setErrors(registerErrors(e));
    } finally {
      setBusy(false);
    }
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
          <button className="button button-block" type="submit" disabled={busy}>
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
