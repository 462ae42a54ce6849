/** Accounts: search by e-mail or username prefix, "Load more", one account's detail, suspend and unsuspend. */
import { useCallback, useEffect, useRef, useState } from "react";
import type { AdminUser, PublicProfile } from "../../../api/types";
import { Avatar } from "../../../components/Avatar";
import { Field } from "../../../components/Field";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSubmit } from "../../../hooks/useSubmit";
import { useLocation } from "../../../router";
import { useSession } from "../../../session";
import { adminErrorMessage, formatWhen, suspensionLine } from "../messages";
import { type Paged, appendPaged, emptyPaged } from "../paging";
import { AdminLayout } from "./AdminLayout";
import { ReasonDialog } from "./ReasonDialog";

export const USERS_PAGE_SIZE = 25;
/** Wait this long after the last key press before searching: one request per pause, not per letter. */
export const SEARCH_DEBOUNCE_MS = 300;

const userKey = (u: AdminUser) => u.id;

function UserSearch() {
  const { admin } = useSession();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [list, setList] = useState<Paged<AdminUser>>(emptyPaged);
  const [announce, setAnnounce] = useState("");
  // The answer for an older query that arrives late is dropped.
  const latest = useRef<string | null>(null);
  const { busy, error, run } = useSubmit(
    async (forQuery: string, current: Paged<AdminUser>) => {
      const page = await admin.users(forQuery, current.cursor, USERS_PAGE_SIZE);
      if (latest.current !== forQuery) return;
      const next = appendPaged(current, page.users, page.next_cursor, userKey);
      setList(next);
      const n = next.items.length;
      setAnnounce(
        n === 0 ? "No accounts found." : `${n} account${n === 1 ? "" : "s"} shown${next.done ? "" : ", more to load"}.`,
      );
    },
    (e) => adminErrorMessage(e),
  );

  const search = useCallback(
    (text: string) => {
      const next = text.trim();
      if (next === latest.current) return;
      latest.current = next;
      setQuery(next);
      const fresh = emptyPaged<AdminUser>();
      setList(fresh);
      void run(next, fresh);
    },
    [run],
  );

  // Searching as you type, once per pause; the first (empty) search lists every account at once.
  useEffect(() => {
    const timer = setTimeout(() => search(q), latest.current === null ? 0 : SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q, search]);

  return (
    <section className="card settings-card" aria-labelledby="user-search-title" aria-busy={busy}>
      <h2 id="user-search-title">Find an account</h2>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          search(q);
        }}
      >
        <Field
          label="E-mail or username"
          name="q"
          type="search"
          maxLength={100}
          autoComplete="off"
          hint="The start of an e-mail address or a username; not case-sensitive."
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </form>
      <FormAlert message={error} />
      <ul className="admin-user-list" data-testid="admin-user-list">
        {list.items.map((u) => (
          <li key={u.id} className="session-item" data-user-id={u.id}>
            <div>
              <Link href={`/console/users?id=${encodeURIComponent(u.id)}`} className="strong">
                {u.email}
              </Link>
              <p className="muted">
                @{u.username} · {u.role === "admin" ? "Administrator" : "User"}
              </p>
            </div>
            {u.suspended && <span className="badge badge-suspended">Suspended</span>}
          </li>
        ))}
      </ul>
      {busy && <p className="muted">Loading…</p>}
      <div className="actions">
        {!list.done && !busy && (error || list.items.length > 0) && (
          <button type="button" className="button button-quiet" onClick={() => void run(query, list)}>
            {error ? "Try again" : "Load more"}
          </button>
        )}
        <span role="status" className="muted">
          {announce}
        </span>
      </div>
    </section>
  );
}

type Dialog = "suspend" | "take-down" | null;

function UserDetail({ userId }: { userId: string }) {
  const { admin, profiles, user: me } = useSession();
  const [target, setTarget] = useState<AdminUser | null>(null);
  const [picture, setPicture] = useState<PublicProfile | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [done, setDone] = useState("");
  const load = useSubmit(
    async () => {
      const found = await admin.user(userId);
      setTarget(found);
      // The live picture, as the public sees it (a private profile shows none here; the take-down still works).
      setPicture(await profiles.publicProfile(found.username).catch(() => null));
    },
    (e) => adminErrorMessage(e, "This account"),
  );
  const unsuspend = useSubmit(
    async () => {
      setTarget(await admin.unsuspend(userId));
      setDone("Unsuspended. They can sign in again; their old sessions stay signed out.");
    },
    (e) => adminErrorMessage(e, "This account"),
  );
  const { run } = load;
  // The page is keyed by the id: a new account mounts a new detail, which loads once.
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void run();
  }, [run]);

  if (target === null) {
    return (
      <section className="card settings-card" aria-busy={load.error === null}>
        <FormAlert message={load.error} />
        {load.error === null && <p className="muted">Loading…</p>}
      </section>
    );
  }
  const self = me?.id === target.id;
  return (
    <section className="card settings-card" aria-labelledby="user-detail-title" data-testid="admin-user-detail">
      <div className="card-heading">
        <h2 id="user-detail-title">{target.email}</h2>
        {target.suspended && <span className="badge badge-suspended">Suspended</span>}
      </div>
      <div className="admin-user-detail">
        <Avatar avatar={picture?.avatar ?? null} name={target.username} size={96} />
        <dl className="facts">
          <dt>Username</dt>
          <dd>@{target.username}</dd>
          <dt>Role</dt>
          <dd>{target.role === "admin" ? "Administrator" : "User"}</dd>
          <dt>Created</dt>
          <dd>{formatWhen(target.created_at)}</dd>
          <dt>Two-step verification</dt>
          <dd>{target.two_factor ? "On" : "Off"}</dd>
          <dt>Passkeys</dt>
          <dd>{target.passkeys}</dd>
          <dt>Signed-in sessions</dt>
          <dd>{target.sessions}</dd>
          <dt>Suspension</dt>
          <dd data-testid="admin-user-suspension">
            {target.suspended
              ? suspensionLine(target.suspended, target.suspended.by === me?.id ? "you" : null)
              : "Not suspended"}
          </dd>
        </dl>
      </div>
      <FormAlert message={unsuspend.error} />
      <div className="actions">
        {target.suspended ? (
          <button type="button" className="button" disabled={unsuspend.busy} onClick={() => void unsuspend.run()}>
            {unsuspend.busy ? "Unsuspending…" : "Unsuspend"}
          </button>
        ) : (
          <button
            type="button"
            className="button button-danger"
            disabled={self}
            title={self ? "You can't suspend your own account." : undefined}
            onClick={() => setDialog("suspend")}
          >
            Suspend…
          </button>
        )}
        <button type="button" className="button button-quiet" onClick={() => setDialog("take-down")}>
          Take down profile picture…
        </button>
        <span role="status" className="muted" data-testid="admin-user-status">
          {done}
        </span>
      </div>
      {self && <p className="muted">You can't suspend your own account.</p>}
      <ReasonDialog
        open={dialog === "suspend"}
        title={`Suspend ${target.email}?`}
        intro="They are signed out everywhere at once and can't sign in until unsuspended. They are shown the reason when they try."
        action="Suspend"
        testId="suspend-dialog"
        onSubmit={async (reason) => {
          setTarget(await admin.suspend(target.id, reason));
          setDone("Suspended and signed out everywhere.");
        }}
        onClose={() => setDialog(null)}
        describeError={(e) => adminErrorMessage(e, "This account")}
      />
      <ReasonDialog
        open={dialog === "take-down"}
        title={`Take down @${target.username}'s picture?`}
        intro="The live profile picture is removed for everyone and deleted. They are shown the reason on their profile page."
        action="Take down"
        testId="take-down-dialog"
        onSubmit={async (reason) => {
          await admin.takeDown(target.id, reason);
          setPicture((p) => (p ? { ...p, avatar: null } : p));
          setDone("Picture taken down.");
        }}
        onClose={() => setDialog(null)}
        describeError={(e) => adminErrorMessage(e, "The picture")}
      />
    </section>
  );
}

export function UsersPage() {
  const search = useLocation().split("?")[1] ?? "";
  const userId = new URLSearchParams(search).get("id");
  return (
    <AdminLayout
      title="Users"
      intro="Search, look at an account, suspend or unsuspend it. Each view and change is audited."
    >
      {userId && (
        <>
          <p>
            <Link href="/console/users">← All accounts</Link>
          </p>
          <UserDetail key={userId} userId={userId} />
        </>
      )}
      {!userId && <UserSearch />}
    </AdminLayout>
  );
}
