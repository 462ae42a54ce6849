import { useEffect, useRef, useState } from "react";
import { linkMessage } from "../messages";
import { Link } from "../../../components/Link";
import { useLocation } from "../../../router";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";

/**
 * `/not-me?token=...`, the "This wasn't me" link of a new-sign-in e-mail. It asks for a click before posting:
 * mail scanners open links on their own, and one of them must not sign a session out.
 */
export function NotMe() {
  const { account } = useSession();
  const location = useLocation();
  const token = new URLSearchParams(location.slice(location.indexOf("?") + 1 || location.length)).get("token") ?? "";
  const [done, setDone] = useState(false);
  const { busy, waiting, error, run } = useSubmit(async () => {
    await account.reportSignIn(token);
    setDone(true);
  }, linkMessage);
  const result = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (done || error) result.current?.focus();
  }, [done, error]);

  let body;
  if (done) {
    body = (
      <p className="alert alert-info" role="status" tabIndex={-1} ref={result} data-testid="not-me-done">
        We signed that session out and sent you a link to choose a new password. Open it soon: until you change your
        password, whoever signed in could sign in again.
      </p>
    );
  } else if (!token || error) {
    body = (
      <>
        <p className="alert alert-error" role="alert" tabIndex={-1} ref={result} data-testid="not-me-error">
          {error ?? "This page needs the link from your “New sign-in” email. Open the link from the email again."}
        </p>
        <p className="muted">
          You can still <Link href="/forgot-password">reset your password</Link> and sign other devices out in your
          security settings.
        </p>
      </>
    );
  } else {
    body = (
      <>
        <p>
          You told us a new sign-in to your account wasn't you. We'll sign that device out and email you a link to
          choose a new password.
        </p>
        <div className="actions">
          <button
            type="button"
            className="button button-danger"
            disabled={busy || waiting > 0}
            onClick={() => void run()}
          >
            {busy ? "Signing it out…" : "Sign that device out"}
          </button>
        </div>
      </>
    );
  }
  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="not-me-title">
        <h1 id="not-me-title">Secure your account</h1>
        {body}
      </section>
    </main>
  );
}
