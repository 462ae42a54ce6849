import { useEffect, useState } from "react";
import { linkMessage } from "../messages";
import type { User } from "../../../api/types";
import { useLocation } from "../../../router";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";

// A link works once: React may run the effect twice (StrictMode), so one request per token per page load.
const confirmations = new Map<string, Promise<User>>();

type State = { step: "working" } | { step: "done"; email: string } | { step: "failed"; message: string };

/** `/confirm-email?token=…` from the mail sent to the new address; only for the signed-in account that asked. */
export function ConfirmEmail() {
  const { account, setUser, user } = useSession();
  const location = useLocation();
  const token = new URLSearchParams(location.slice(location.indexOf("?") + 1 || location.length)).get("token") ?? "";
  const [state, setState] = useState<State>(
    token ? { step: "working" } : { step: "failed", message: "This page needs the link from your confirmation email." },
  );

  useEffect(() => {
    if (!token) return;
    let live = true;
    if (!confirmations.has(token)) confirmations.set(token, account.confirmEmailChange(token));
    confirmations
      .get(token)
      ?.then((fresh) => {
        if (!live) return;
        setUser(fresh);
        setState({ step: "done", email: fresh.email });
      })
      .catch((e: unknown) => live && setState({ step: "failed", message: linkMessage(e) }));
    return () => {
      live = false;
    };
  }, [token, account, setUser]);

  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="confirm-title" aria-busy={state.step === "working"}>
        <h1 id="confirm-title">Confirm your new email address</h1>
        {state.step === "working" && (
          <p className="muted" role="status">
            Confirming…
          </p>
        )}
        {state.step === "done" && (
          <p className="alert alert-info" role="status" data-testid="email-confirmed">
            Done: {user?.username ? `@${user.username} now` : "your account now"} uses {state.email}.
          </p>
        )}
        {state.step === "failed" && (
          <p className="alert alert-error" role="alert" data-testid="email-confirm-error">
            {state.message}
          </p>
        )}
        <p>
          <Link href="/settings/account">Back to your account settings</Link>
        </p>
      </section>
    </main>
  );
}
