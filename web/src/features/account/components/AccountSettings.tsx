import { type FormEvent, useEffect, useRef, useState } from "react";
import { type FormErrors, reauthErrors } from "../messages";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { navigate } from "../../../router";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { SettingsLayout } from "./SettingsLayout";

function EmailChange() {
  const { user, account } = useSession();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const { busy, waiting, error, setError, run } = useSubmit(
    async () => {
      // A stale sign-in answers step-up: the request layer asks for the password and retries.
      await account.requestEmailChange(email.trim());
      setSent(
        `We sent a confirmation link to ${email.trim()}. Open it in this browser, signed in as ${user?.username ?? "you"}, to finish. Until then your address stays ${user?.email ?? "the same"}.`,
      );
      setEmail("");
    },
    (e): FormErrors => reauthErrors(e, { email: "new_email" }),
  );
  const errors = error ?? {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSent(null);
    const found: FormErrors = {};
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim()))
      found.new_email = "Enter an email address like name@example.com.";
    if (Object.keys(found).length > 0) setError(found);
    else void run();
  };

  return (
    <section className="card settings-card" aria-labelledby="email-title">
      <h2 id="email-title">Email address</h2>
      <p className="muted">
        Your address is <strong data-testid="current-email">{user?.email}</strong>. We use it for password resets and
        security notices.
      </p>
      <form onSubmit={submit} noValidate>
        <FormAlert message={errors.form} />
        <Field
          label="New email address"
          name="new_email"
          type="email"
          autoComplete="email"
          required
          value={email}
          error={errors.new_email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy || waiting > 0}>
            {busy ? "Sending…" : "Send confirmation link"}
          </button>
        </div>
        <p role="status" className="status-line success">
          {sent}
        </p>
      </form>
    </section>
  );
}

function DeleteAccount() {
  const { user, account, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const { busy, waiting, error, setError, run } = useSubmit(async () => {
    // A stale sign-in answers step-up: the request layer asks for the password (or a code) and retries.
    await account.deleteAccount();
    // The server already ended every sign-in: leave for the goodbye page, then forget this one.
    navigate("/goodbye", { replace: true });
    await signOut();
  }, reauthErrors);
  const errors = error ?? {};
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (open) heading.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    setUnderstood(false);
    setError(null);
    requestAnimationFrame(() => opener.current?.focus());
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!understood) setError({});
    else void run();
  };

  return (
    <section className="card settings-card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete your account</h2>
      <p className="muted">
        This removes your account, your profile and your profile pictures for good. It can't be undone.
      </p>
      {!open ? (
        <button type="button" className="button button-danger" ref={opener} onClick={() => setOpen(true)}>
          Delete account…
        </button>
      ) : (
        <form className="panel" onSubmit={submit} noValidate aria-labelledby="delete-confirm-title">
          <h3 id="delete-confirm-title" tabIndex={-1} ref={heading}>
            Are you sure you want to delete {user?.username ? `@${user.username}` : "your account"}?
          </h3>
          <ul>
            <li>You're signed out everywhere, straight away.</li>
            <li>Your profile, pictures and account activity are deleted.</li>
            <li>Your username and email address become free for anyone to use.</li>
          </ul>
          <FormAlert message={errors.form} />
          <label className="check">
            <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
            <span>I understand that my account and pictures will be deleted permanently.</span>
          </label>
          <div className="actions">
            <button type="submit" className="button button-danger" disabled={busy || waiting > 0 || !understood}>
              {busy ? "Deleting…" : "Delete my account permanently"}
            </button>
            <button type="button" className="button button-quiet" onClick={close} disabled={busy}>
              Keep my account
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

export function AccountSettings() {
  return (
    <SettingsLayout title="Account">
      <EmailChange />
      <DeleteAccount />
    </SettingsLayout>
  );
}
