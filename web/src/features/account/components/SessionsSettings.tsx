import { useCallback, useEffect, useState } from "react";
import { hasOtherSessions, sessionRows } from "../sessions";
import { reauthErrors } from "../messages";
import type { SessionInfo } from "../../../api/types";
import { FormAlert } from "../../../components/FormAlert";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";

/** "Where you're signed in": every live session of the account, each one can be signed out from here. */
export function SessionsSettings() {
  const { account } = useSession();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useSubmit(
    async () => {
      setSessions(await account.sessions());
    },
    (e) => reauthErrors(e).form ?? "Your sessions can't be shown right now.",
  );
  const reload = load.run;
  const end = useSubmit(
    async (id: string, device: string) => {
      setNotice(null);
      await account.revokeSession(id);
      setNotice(`${device} was signed out.`);
      await reload();
    },
    (e) => reauthErrors(e).form ?? "That session couldn't be signed out.",
  );
  const endOthers = useSubmit(
    async () => {
      setNotice(null);
      // Needs a recent sign-in: the request layer shows the step-up dialog when the server asks for one.
      await account.revokeOtherSessions();
      setNotice("Every other device was signed out.");
      await reload();
    },
    (e) => reauthErrors(e).form ?? "The other sessions couldn't be signed out.",
  );

  useEffect(() => {
    void reload();
  }, [reload]);

  const now = useCallback(() => new Date(), []);
  const rows = sessions ? sessionRows(sessions, now()) : [];
  const busy = end.busy || endOthers.busy;

  return (
    <section className="card settings-card" aria-labelledby="sessions-title" data-testid="sessions">
      <h2 id="sessions-title">Where you're signed in</h2>
      <p className="muted">
        Devices signed in to your account. If you don't recognise one, sign it out and change your password.
      </p>
      <FormAlert message={load.error ?? end.error ?? endOthers.error} />
      {sessions === null && !load.error && <p className="muted loading">Loading…</p>}
      {sessions !== null && (
        <ul className="session-list" aria-label="Signed-in devices">
          {rows.map((row) => (
            <li key={row.id} className="session-item" data-testid="session" data-current={row.current}>
              <div>
                <strong>{row.device}</strong> {row.current && <span className="badge badge-on">This device</span>}
                <p className="muted">
                  {row.network} · {row.lastActive}
                </p>
              </div>
              {!row.current && (
                <button
                  type="button"
                  className="button button-quiet"
                  disabled={busy}
                  aria-label={`Sign out ${row.device}, ${row.lastActive.toLowerCase()}`}
                  onClick={() => void end.run(row.id, row.device)}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={busy || sessions === null || !hasOtherSessions(sessions)}
          onClick={() => void endOthers.run()}
        >
          {endOthers.busy ? "Signing out…" : "Sign out everywhere else"}
        </button>
        <span role="status" className="status-line success">
          {notice}
        </span>
      </div>
    </section>
  );
}
