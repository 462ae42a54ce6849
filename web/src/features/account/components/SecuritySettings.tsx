import { type FormEvent, useEffect, useRef, useState } from "react";
import { NewPasswordFields } from "./NewPasswordFields";
import { type FormErrors, newPasswordErrors, reauthErrors } from "../messages";
import { qrImageSource } from "../qr";
import { groupSecret } from "../setupKey";
import type { TotpEnrollment } from "../../../api/types";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { SessionsSettings } from "./SessionsSettings";
import { SettingsLayout } from "./SettingsLayout";
import { PasskeysSettings } from "../../passkeys";

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => heading.current?.focus(), []);
  const text = codes.join("\n");
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(`Profile pictures recovery codes\n\n${text}\n`)}`;
  return (
    <div className="panel" data-testid="recovery-codes">
      <h3 tabIndex={-1} ref={heading}>
        Save your recovery codes
      </h3>
      <p>
        Two-step verification is on. If you lose your phone, each of these codes lets you sign in once.{" "}
        <strong>This is the only time they are shown:</strong> keep them somewhere safe, like a password manager.
      </p>
      <ol className="recovery-list">
        {codes.map((code) => (
          <li key={code}>
            <code data-testid="recovery-code">{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button
          type="button"
          className="button button-quiet"
          onClick={() => {
            navigator.clipboard.writeText(text).then(
              () => {
                setCopied("Codes copied.");
              },
              () => {
                setCopied("Copying isn't allowed here: select the codes and copy them by hand.");
              },
            );
          }}
        >
          Copy codes
        </button>
        <a className="button button-quiet" href={download} download="recovery-codes.txt">
          Download as a text file
        </a>
        <button type="button" className="button" onClick={onDone}>
          I've saved them
        </button>
        <span role="status" className="muted">
          {copied}
        </span>
      </div>
    </div>
  );
}

function Enrolment({
  enrollment,
  onCancel,
  onEnabled,
}: {
  enrollment: TotpEnrollment;
  onCancel: () => void;
  onEnabled: (codes: string[]) => void;
}) {
  const { account } = useSession();
  const [code, setCode] = useState("");
  const { busy, waiting, error, run } = useSubmit(async () => {
    try {
      onEnabled(await account.confirmTotp(code));
    } catch (e) {
      // Cleared here, not in the describe step: that runs again on every second of a wait.
      setCode("");
      throw e;
    }
  }, reauthErrors);
  const errors = error ?? {};
  const heading = useRef<HTMLHeadingElement>(null);
  const qr = qrImageSource(enrollment.qr_svg);
  useEffect(() => heading.current?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  return (
    <div className="panel" data-testid="mfa-enrolment">
      <h3 tabIndex={-1} ref={heading}>
        Set up your authenticator app
      </h3>
      <ol className="steps">
        <li>
          <p>
            Open an authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis) and
            scan this QR code.
          </p>
          {qr ? (
            <img
              className="qr"
              src={qr}
              width={200}
              height={200}
              alt="QR code for adding Profile pictures to your authenticator app. If you can't scan it, use the setup key below."
              data-testid="mfa-qr"
            />
          ) : (
            <p className="alert alert-info">The QR code can't be shown here. Use the setup key below instead.</p>
          )}
        </li>
        <li>
          <p>Can't scan it? Choose to enter a setup key in the app and type this key (time-based, 6 digits):</p>
          <p className="secret">
            <span className="visually-hidden">Setup key: </span>
            <code data-testid="mfa-secret" data-secret={enrollment.secret}>
              {groupSecret(enrollment.secret)}
            </code>
          </p>
          <details>
            <summary>Show the setup link</summary>
            <p className="otpauth">
              <code data-testid="mfa-uri">{enrollment.otpauth_uri}</code>
            </p>
          </details>
        </li>
        <li>
          <form onSubmit={submit} noValidate>
            <FormAlert message={errors.form} />
            <Field
              label="Enter the 6-digit code the app shows"
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={6}
              pattern="[0-9]{6}"
              required
              value={code}
              error={errors.code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
            />
            <div className="actions">
              <button type="submit" className="button" disabled={busy || waiting > 0 || code.length !== 6}>
                {busy ? "Checking…" : "Turn on two-step verification"}
              </button>
              <button type="button" className="button button-quiet" onClick={onCancel}>
                Cancel
              </button>
            </div>
          </form>
        </li>
      </ol>
    </div>
  );
}

function DisableMfa({ onCancel, onDisabled }: { onCancel: () => void; onDisabled: () => void }) {
  const { account } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const { busy, waiting, error, run } = useSubmit(async () => {
    // A stale sign-in answers step-up: the request layer asks for a code (or the password) and retries.
    await account.disableTotp();
    onDisabled();
  }, reauthErrors);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="panel" role="group" aria-labelledby="mfa-off-title">
      <h3 id="mfa-off-title" tabIndex={-1} ref={heading}>
        Turn off two-step verification?
      </h3>
      <p className="muted">Turning it off makes your account easier to break into. Every other device is signed out.</p>
      <FormAlert message={error?.form} />
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={busy || waiting > 0}
          onClick={() => void run()}
        >
          {busy ? "Turning off…" : "Turn off two-step verification"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

type MfaState =
  | { step: "idle" }
  | { step: "enrolling"; enrollment: TotpEnrollment }
  | { step: "codes"; codes: string[] }
  | { step: "disabling" };

function TwoStep() {
  const { user, account, reloadUser } = useSession();
  const [state, setState] = useState<MfaState>({ step: "idle" });
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, waiting, error, run } = useSubmit(
    async () => {
      setState({ step: "enrolling", enrollment: await account.enrollTotp() });
    },
    (e) => reauthErrors(e).form ?? "Two-step verification can't be set up right now.",
  );
  const enabled = user?.mfa_enabled === true;

  const start = () => {
    setNotice(null);
    void run();
  };

  return (
    <section className="card settings-card" aria-labelledby="mfa-title">
      <div className="card-heading">
        <h2 id="mfa-title">Two-step verification</h2>
        <span className={`badge ${enabled ? "badge-on" : "badge-off"}`} data-testid="mfa-status">
          {enabled ? "On" : "Off"}
        </span>
      </div>
      <p className="muted">
        {enabled
          ? `Signing in asks for a code from your authenticator app as well as your password. Recovery codes left: ${user?.recovery_codes_left ?? "?"}.`
          : "Protect your account with a code from an authenticator app on your phone, asked for after your password."}
      </p>
      <FormAlert message={error} />
      <p role="status" className="status-line success">
        {notice}
      </p>
      {state.step === "enrolling" && (
        <Enrolment
          enrollment={state.enrollment}
          onCancel={() => setState({ step: "idle" })}
          onEnabled={(codes) => {
            setState({ step: "codes", codes });
            void reloadUser();
          }}
        />
      )}
      {state.step === "codes" && (
        <RecoveryCodes
          codes={state.codes}
          onDone={() => {
            setState({ step: "idle" });
            setNotice("Two-step verification is on.");
          }}
        />
      )}
      {state.step === "disabling" && (
        <DisableMfa
          onCancel={() => setState({ step: "idle" })}
          onDisabled={() => {
            setState({ step: "idle" });
            setNotice("Two-step verification is off.");
            void reloadUser();
          }}
        />
      )}
      {state.step === "idle" &&
        (enabled ? (
          <button type="button" className="button button-quiet" onClick={() => setState({ step: "disabling" })}>
            Turn off two-step verification
          </button>
        ) : (
          <button type="button" className="button" onClick={start} disabled={busy || waiting > 0}>
            {busy ? "Preparing…" : "Set up two-step verification"}
          </button>
        ))}
    </section>
  );
}

// The current-password input's name: its errors are keyed by it, and the API's `password` problem maps to it.
const CURRENT_FIELD = "current_password";

function PasswordChange() {
  const { account } = useSession();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const { busy, waiting, error, setError, run } = useSubmit(
    async () => {
      await account.changePassword(current, password);
      setCurrent("");
      setPassword("");
      setRepeat("");
      setDone("Password changed. You're still signed in here; every other device was signed out.");
    },
    (e): FormErrors => reauthErrors(e, { password: CURRENT_FIELD }),
  );
  const errors = error ?? {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const found = newPasswordErrors(password, repeat);
    if (!current) found[CURRENT_FIELD] = "Enter your current password.";
    if (Object.keys(found).length > 0) setError(found);
    else void run();
  };

  return (
    <section className="card settings-card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form onSubmit={submit} noValidate>
        <FormAlert message={errors.form} />
        <Field
          label="Current password"
          name={CURRENT_FIELD}
          type="password"
          autoComplete="current-password"
          required
          value={current}
          error={errors[CURRENT_FIELD]}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <NewPasswordFields
          password={password}
          repeat={repeat}
          onPassword={setPassword}
          onRepeat={setRepeat}
          errors={errors}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy || waiting > 0}>
            {busy ? "Changing…" : "Change password"}
          </button>
          <span role="status" className="status-line success">
            {done}
          </span>
        </div>
      </form>
    </section>
  );
}

export function SecuritySettings() {
  return (
    <SettingsLayout title="Security" intro="How you sign in, and what keeps other people out.">
      <TwoStep />
      <PasskeysSettings />
      <PasswordChange />
      <SessionsSettings />
    </SettingsLayout>
  );
}
