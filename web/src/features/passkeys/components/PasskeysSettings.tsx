import { type FormEvent, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { Passkey } from "../../../api/types";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { useSubmit } from "../../../hooks/useSubmit";
import { useSession } from "../../../session";
import { PasskeyClient } from "../api";
import { passkeyMessage } from "../messages";
import { passkeysReducer } from "../state";
import { passkeysSupported } from "../webauthn";

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function when(value: string | null | undefined): string {
  return value ? DATE.format(new Date(value)) : "never";
}

function AddPasskey({
  client,
  onAdded,
  onCancel,
}: {
  client: PasskeyClient;
  onAdded: (p: Passkey) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState("");
  const { busy, waiting, error, run } = useSubmit(
    async () => onAdded(await client.add(name.trim() || undefined)),
    (e) => passkeyMessage(e, "add"),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label="Add a passkey">
      <FormAlert message={error} />
      <Field
        label="Name for this passkey (optional)"
        name="passkey_name"
        autoComplete="off"
        maxLength={64}
        autoFocus
        hint="Such as the device it is on. Your browser then asks you to create it with your fingerprint, face or screen lock."
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="button" disabled={busy || waiting > 0}>
          {busy ? "Waiting for your device…" : "Create passkey"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RenamePasskey({
  client,
  passkey,
  onRenamed,
  onCancel,
}: {
  client: PasskeyClient;
  passkey: Passkey;
  onRenamed: (p: Passkey) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(passkey.name);
  const { busy, waiting, error, run } = useSubmit(
    async () => onRenamed(await client.rename(passkey.id, name.trim())),
    (e) => passkeyMessage(e, "manage"),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label={`Rename ${passkey.name}`}>
      <FormAlert message={error} />
      <Field
        label="New name"
        name="passkey_name"
        autoComplete="off"
        maxLength={64}
        required
        autoFocus
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="button" disabled={busy || waiting > 0 || !name.trim()}>
          {busy ? "Saving…" : "Save name"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RemovePasskey({
  client,
  passkey,
  onRemoved,
  onCancel,
}: {
  client: PasskeyClient;
  passkey: Passkey;
  onRemoved: () => void;
  onCancel: () => void;
}) {
  const { busy, waiting, error, run } = useSubmit(
    async () => {
      // Removing is a dangerous action: after a while signed in, the request layer's step-up dialog asks first.
      await client.remove(passkey.id);
      onRemoved();
    },
    (e) => passkeyMessage(e, "manage"),
  );
  const heading = useRef<HTMLParagraphElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="panel" role="group" aria-label={`Remove ${passkey.name}`}>
      <FormAlert message={error} />
      <p tabIndex={-1} ref={heading}>
        Remove <strong>{passkey.name}</strong>? You won't be able to sign in with it any more. If you last signed in a
        while ago, you are first asked to confirm it's you.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={busy || waiting > 0}
          onClick={() => void run()}
        >
          {busy ? "Removing…" : "Remove passkey"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Settings → Security: the signed-in person's passkeys; add, rename, remove. */
export function PasskeysSettings() {
  const { auth } = useSession();
  const client = useMemo(() => new PasskeyClient(auth), [auth]);
  const [state, dispatch] = useReducer(passkeysReducer, { step: "loading" });
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const supported = passkeysSupported();

  useEffect(() => {
    let live = true;
    client.list().then(
      (passkeys) => live && dispatch({ type: "loaded", passkeys }),
      (e: unknown) => live && setLoadError(passkeyMessage(e, "manage")),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const passkeys = state.step === "loading" ? [] : state.passkeys;
  const done = (message: string) => setNotice(message);

  return (
    <section className="card settings-card" aria-labelledby="passkeys-title" data-testid="passkeys">
      <div className="card-heading">
        <h2 id="passkeys-title">Passkeys</h2>
        <span className={`badge ${passkeys.length > 0 ? "badge-on" : "badge-off"}`} data-testid="passkeys-count">
          {state.step === "loading" ? "…" : passkeys.length === 1 ? "1 passkey" : `${passkeys.length} passkeys`}
        </span>
      </div>
      <p className="muted">
        Sign in with your fingerprint, face or screen lock instead of your password. A passkey counts as two-step
        verification, and it only works on this site, so it can't be phished.
      </p>
      <FormAlert message={loadError} />
      <p role="status" className="status-line success">
        {notice}
      </p>
      {passkeys.length > 0 && (
        <ul className="activity-list" aria-label="Your passkeys">
          {passkeys.map((passkey) => (
            <li key={passkey.id} className="activity-item" data-testid="passkey">
              <p className="activity-what">{passkey.name}</p>
              <p className="muted activity-meta">
                Added {when(passkey.created_at)} · last used {when(passkey.last_used_at)}
              </p>
              {state.step === "renaming" && state.id === passkey.id ? (
                <RenamePasskey
                  client={client}
                  passkey={passkey}
                  onCancel={() => dispatch({ type: "cancel" })}
                  onRenamed={(renamed) => {
                    dispatch({ type: "renamed", passkey: renamed });
                    done(`Renamed to ${renamed.name}.`);
                  }}
                />
              ) : state.step === "removing" && state.id === passkey.id ? (
                <RemovePasskey
                  client={client}
                  passkey={passkey}
                  onCancel={() => dispatch({ type: "cancel" })}
                  onRemoved={() => {
                    dispatch({ type: "removed", id: passkey.id });
                    done(`${passkey.name} was removed.`);
                  }}
                />
              ) : (
                state.step === "idle" && (
                  <div className="actions">
                    <button
                      type="button"
                      className="button button-quiet"
                      aria-label={`Rename ${passkey.name}`}
                      onClick={() => {
                        setNotice(null);
                        dispatch({ type: "rename", id: passkey.id });
                      }}
                    >
                      Rename
                    </button>
                    <button
                      type="button"
                      className="button button-quiet"
                      aria-label={`Remove ${passkey.name}`}
                      onClick={() => {
                        setNotice(null);
                        dispatch({ type: "remove", id: passkey.id });
                      }}
                    >
                      Remove
                    </button>
                  </div>
                )
              )}
            </li>
          ))}
        </ul>
      )}
      {state.step === "adding" && (
        <AddPasskey
          client={client}
          onCancel={() => dispatch({ type: "cancel" })}
          onAdded={(passkey) => {
            dispatch({ type: "added", passkey });
            done(`Passkey added: ${passkey.name}.`);
          }}
        />
      )}
      {state.step === "idle" &&
        (supported ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setNotice(null);
              dispatch({ type: "add" });
            }}
          >
            Add a passkey
          </button>
        ) : (
          <p className="alert alert-info">This browser can't create passkeys.</p>
        ))}
    </section>
  );
}
