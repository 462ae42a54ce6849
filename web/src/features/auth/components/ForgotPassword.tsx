import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError } from "../../../api/problem";
import { formatWait } from "../../../api/wait";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { useHydrated } from "../../../router";

export function ForgotPassword() {
  // Prerendered: read-only until the app has taken the page over (useHydrated).
  const live = useHydrated();
  const { account } = useSession();
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { busy, waiting, error, setError, run } = useSubmit(
    async (address: string) => {
      await account.requestPasswordReset(address);
      setSentTo(address);
    },
    (e) =>
      e instanceof ApiError && e.status === 429
        ? `Too many requests. Please try again ${formatWait(e.retryAfter)}.`
        : e instanceof Error
          ? e.message
          : "Something went wrong.",
  );
  const done = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (sentTo) done.current?.focus();
  }, [sentTo]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const address = email.trim();
    if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) void run(address);
    else setError("Enter an email address like name@example.com.");
  };

  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="forgot-title">
        <h1 id="forgot-title">Forgot your password?</h1>
        {sentTo ? (
          <>
            <p className="alert alert-info" role="status" tabIndex={-1} ref={done} data-testid="reset-requested">
              If an account uses {sentTo}, we've sent it a link to choose a new password. The link works once, for 30
              minutes.
            </p>
            <p className="muted">
              Nothing arrived? Check your spam folder, or{" "}
              <button type="button" className="link-button" onClick={() => setSentTo(null)}>
                try another address
              </button>
              .
            </p>
          </>
        ) : (
          <>
            <p className="muted">
              Enter the email address of your account and we'll send you a link to choose a new password.
            </p>
            <form onSubmit={submit} noValidate>
              <FormAlert message={error} />
              <Field
                readOnly={!live}
                label="Email"
                name="email"
                type="email"
                autoComplete="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
              <button
                className="button button-block"
                type="submit"
                disabled={!live || busy || waiting > 0 || !email.trim()}
              >
                {busy ? "Sending…" : "Send reset link"}
              </button>
            </form>
          </>
        )}
        <p className="muted">
          Remembered it? <Link href="/sign-in">Sign in</Link>
        </p>
      </section>
    </main>
  );
}
