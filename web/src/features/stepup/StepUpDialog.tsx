/**
 * The one step-up dialog. The request layer (`AuthClient.fetch`) calls the handler registered here when a
 * request answers 401 with the step-up problem type; the dialog asks for the password (or a code when
 * two-step verification is on, or a registered method such as a passkey), and resolves with the new access
 * token, after which the request is retried once. Closing it (Cancel, Escape) rejects with StepUpCancelled.
 */
import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { StepUpCancelled } from "../../api/auth";
import { ApiError } from "../../api/problem";
import type { AccessToken } from "../../api/types";
import { Field } from "../../components/Field";
import { FormAlert } from "../../components/FormAlert";
import { useCountdown } from "../../hooks/useCountdown";
import { useSession } from "../../session";
import { reauthErrors } from "../account/messages";
import { stepUpMethods, subscribeStepUpMethods } from "./methods";

const FOCUSABLE = "button:not([disabled]), input:not([disabled]), [href], [tabindex]:not([tabindex='-1'])";

/** Tab and Shift+Tab cycle inside the dialog: a modal dialog alone lets focus leave for the browser's UI. */
function trapFocus(event: KeyboardEvent<HTMLDialogElement>): void {
  if (event.key !== "Tab") return;
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

interface Pending {
  resolve: (token: AccessToken) => void;
  reject: (error: Error) => void;
}

type Proof = "password" | "code";

/** A failed proof's messages: on the field in use for a wrong code or password, else for the whole form. */
function errorsFor(error: unknown, field: Proof | null, describe?: (error: unknown) => string): Record<string, string> {
  if (describe) return { form: describe(error) };
  const found = reauthErrors(error);
  // A wrong code or password is shown on the field in use, whichever the server named.
  if (field && (found.password || found.code)) return { [field]: found.password ?? found.code ?? "" };
  return { form: found.form ?? Object.values(found)[0] ?? "That didn't work." };
}

export function StepUpDialog() {
  const { auth, user } = useSession();
  const methods = useSyncExternalStore(subscribeStepUpMethods, stepUpMethods, stepUpMethods);
  const dialog = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef<Element | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [proof, setProof] = useState<Proof>("password");
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const mfa = user?.mfa_enabled === true;
  // A 429 (too many wrong passwords or codes): its wait counts down in the message, Continue stays disabled.
  const throttled = useRef<{ error: ApiError; field: Proof | null; describe?: (error: unknown) => string } | null>(
    null,
  );
  const { remaining, start } = useCountdown((left) => {
    const refused = throttled.current;
    if (refused === null) return;
    if (left > 0) {
      setErrors(errorsFor(refused.error.withRetryAfter(left), refused.field, refused.describe));
    } else {
      throttled.current = null;
      setErrors({});
    }
  });

  useEffect(() => {
    auth.setStepUpHandler(
      () =>
        new Promise<AccessToken>((resolve, reject) => {
          returnFocus.current = document.activeElement;
          setPending({ resolve, reject });
        }),
    );
    return () => auth.setStepUpHandler(null);
  }, [auth]);

  useEffect(() => {
    const element = dialog.current;
    if (pending && element && !element.open) {
      setProof(mfa ? "code" : "password");
      setValue("");
      setErrors({});
      // showModal: the rest of the page is inert (focus stays in the dialog) and Escape fires `cancel`.
      element.showModal();
    }
  }, [pending, mfa]);

  const finish = (outcome: { token: AccessToken } | { error: Error }) => {
    dialog.current?.close();
    if (pending) {
      if ("token" in outcome) pending.resolve(outcome.token);
      else pending.reject(outcome.error);
    }
    setPending(null);
    setBusy(false);
    const target = returnFocus.current;
    if (target instanceof HTMLElement) requestAnimationFrame(() => target.focus());
  };

  const cancel = () => finish({ error: new StepUpCancelled() });

  const attempt = async (
    prove: () => Promise<AccessToken>,
    field: Proof | null,
    describe?: (error: unknown) => string,
  ) => {
    setBusy(true);
    setErrors({});
    try {
      finish({ token: await prove() });
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.status === 429 && error.retryAfter !== null && error.retryAfter > 0) {
        throttled.current = { error, field, describe };
        start(error.retryAfter);
      }
      setErrors(errorsFor(error, field, describe));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const entered = value.trim();
    if (!entered) {
      setErrors({
        [proof]: proof === "password" ? "Enter your password." : "Enter the code from your authenticator app.",
      });
      return;
    }
    void attempt(() => auth.reauthenticate(proof === "password" ? { password: value } : { code: entered }), proof);
  };

  return (
    <dialog
      ref={dialog}
      className="stepup-dialog"
      aria-labelledby="stepup-title"
      aria-describedby="stepup-intro"
      data-testid="stepup-dialog"
      onKeyDown={trapFocus}
      onCancel={(event) => {
        // Escape: close through `finish` so the waiting request is rejected, not left hanging.
        event.preventDefault();
        if (!busy) cancel();
      }}
    >
      {pending && (
        <form onSubmit={submit} noValidate>
          <h2 id="stepup-title">Confirm it's you</h2>
          <p id="stepup-intro" className="muted">
            This is a sensitive change, and you signed in a while ago.{" "}
            {proof === "password"
              ? "Enter your password to continue."
              : "Enter a code from your authenticator app, or a recovery code, to continue."}
          </p>
          <FormAlert message={errors.form} />
          {proof === "password" ? (
            <Field
              key="password"
              label="Password"
              name="stepup-password"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              value={value}
              error={errors.password}
              onChange={(e) => setValue(e.target.value)}
            />
          ) : (
            <Field
              key="code"
              label="Code from your authenticator app, or a recovery code"
              name="stepup-code"
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={20}
              required
              autoFocus
              value={value}
              error={errors.code}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
          <div className="actions">
            <button type="submit" className="button" disabled={busy || remaining > 0}>
              {busy ? "Checking…" : "Continue"}
            </button>
            <button type="button" className="button button-quiet" onClick={cancel} disabled={busy}>
              Cancel
            </button>
          </div>
          {(mfa || methods.length > 0) && (
            <div className="actions stepup-alternatives">
              {mfa && (
                <button
                  type="button"
                  className="button button-quiet"
                  disabled={busy}
                  onClick={() => {
                    setProof(proof === "password" ? "code" : "password");
                    setValue("");
                    setErrors({});
                  }}
                >
                  {proof === "password" ? "Use a code instead" : "Use your password instead"}
                </button>
              )}
              {methods.map((method) => (
                <button
                  key={method.label}
                  type="button"
                  className="button button-quiet"
                  disabled={busy || remaining > 0}
                  onClick={() => void attempt(method.run, null, method.describe)}
                >
                  {method.label}
                </button>
              ))}
            </div>
          )}
        </form>
      )}
    </dialog>
  );
}
