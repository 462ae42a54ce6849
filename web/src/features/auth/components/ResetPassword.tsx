import { type FormEvent, useEffect, useRef, useState } from "react";
import { NewPasswordFields } from "../../account/components/NewPasswordFields";
import { type FormErrors, linkMessage, newPasswordErrors } from "../../account/messages";
import { ApiError } from "../../../api/problem";
import { FormAlert } from "../../../components/FormAlert";
import { useLocation } from "../../../router";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";

/** A dead link (used, expired, invalid) replaces the form (`link`); anything else shows on it. */
function resetErrors(e: unknown): FormErrors {
  if (e instanceof ApiError && e.problem.reason) return { link: linkMessage(e) };
  const field = e instanceof ApiError ? e.fieldMessages().new_password : undefined;
  return field ? { new_password: field } : { form: linkMessage(e) };
}

export function ResetPassword() {
  const { account, status, signOut } = useSession();
  const location = useLocation();
  const token = new URLSearchParams(location.slice(location.indexOf("?") + 1 || location.length)).get("token") ?? "";
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [done, setDone] = useState(false);
  const { busy, waiting, error, setError, run } = useSubmit(async () => {
    await account.resetPassword(token, password);
    // Every sign-in of the account was revoked, this browser's too.
    if (status === "signed-in") await signOut();
    setDone(true);
  }, resetErrors);
  const errors = error ?? {};
  const linkError = errors.link ?? null;
  const success = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (done) success.current?.focus();
  }, [done]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = newPasswordErrors(password, repeat);
    if (Object.keys(found).length > 0) setError(found);
    else void run();
  };

  let body;
  if (done) {
    body = (
      <>
        <p className="alert alert-info" role="status" tabIndex={-1} ref={success} data-testid="reset-done">
          Your password has been changed. For your safety, every device was signed out.
        </p>
        <Link href="/sign-in" className="button button-block">
          Sign in with your new password
        </Link>
      </>
    );
  } else if (!token || linkError) {
    body = (
      <>
        <p className="alert alert-error" role="alert" data-testid="reset-link-error">
          {linkError ?? "This page needs the link from your password reset email. Open the link from the email again."}
        </p>
        <Link href="/forgot-password" className="button">
          Ask for a new link
        </Link>
      </>
    );
  } else {
    body = (
      <>
        <p className="muted">Choose a new password for your account.</p>
        <form onSubmit={submit} noValidate>
          <FormAlert message={errors.form} />
          <NewPasswordFields
            password={password}
            repeat={repeat}
            onPassword={setPassword}
            onRepeat={setRepeat}
            errors={errors}
          />
          <button className="button button-block" type="submit" disabled={busy || waiting > 0}>
            {busy ? "Saving…" : "Set new password"}
          </button>
        </form>
      </>
    );
  }

  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        {body}
      </section>
    </main>
  );
}
