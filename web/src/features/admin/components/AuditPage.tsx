/** The audit log: account actions (auth-service) and picture actions (profile-service), newest first. */
import { useEffect, useRef, useState } from "react";
import type { AuditEntry, ModerationAuditEntry } from "../../../api/types";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSubmit } from "../../../hooks/useSubmit";
import { useSession } from "../../../session";
import { adminErrorMessage, describeAccountEntry, describePictureEntry, formatWhen } from "../messages";
import { type Paged, appendPaged, emptyPaged } from "../paging";
import { AdminLayout } from "./AdminLayout";

export const AUDIT_PAGE_SIZE = 25;

interface Row {
  id: string;
  at: string;
  what: string;
  reason: string | null;
  /** The account acted on, for a link to its detail. */
  targetId: string | null;
}

interface Props {
  title: string;
  testId: string;
  load: (cursor: string | null) => Promise<{ rows: Row[]; next: string | null }>;
}

// The list before its first page, told apart by identity: loading from the first render on.
const NOT_LOADED: Paged<Row> = emptyPaged();

function AuditList({ title, testId, load }: Props) {
  const [list, setList] = useState<Paged<Row>>(NOT_LOADED);
  const [announce, setAnnounce] = useState("");
  const headingId = `${testId}-title`;
  const { busy, error, run } = useSubmit(
    async (current: Paged<Row>) => {
      const page = await load(current.cursor);
      const next = appendPaged(current, page.rows, page.next, (r) => r.id);
      setList(next);
      if (current.items.length > 0) {
        const added = next.items.length - current.items.length;
        setAnnounce(`${added} more entr${added === 1 ? "y" : "ies"} loaded.${next.done ? " That's everything." : ""}`);
      }
    },
    (e) => adminErrorMessage(e),
  );
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void run(NOT_LOADED);
  }, [run]);
  const loading = busy || (list === NOT_LOADED && error === null);

  return (
    <section className="card settings-card" aria-labelledby={headingId} aria-busy={loading}>
      <h2 id={headingId}>{title}</h2>
      <FormAlert message={error} />
      {list.items.length === 0 && !loading && !error && <p className="muted">Nothing yet.</p>}
      <ol className="activity-list" data-testid={testId}>
        {list.items.map((row) => (
          <li key={row.id} className="activity-item">
            <p className="activity-what">{row.what}</p>
            <p className="muted activity-meta">
              <time dateTime={row.at}>{formatWhen(row.at)}</time>
              {row.reason ? ` · Reason: ${row.reason}` : ""}
              {row.targetId && (
                <>
                  {" · "}
                  <Link href={`/console/users?id=${encodeURIComponent(row.targetId)}`}>View the account</Link>
                </>
              )}
            </p>
          </li>
        ))}
      </ol>
      {loading && <p className="muted">Loading…</p>}
      <div className="actions">
        {!list.done && !loading && (
          <button type="button" className="button button-quiet" onClick={() => void run(list)}>
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

const accountRow = (e: AuditEntry): Row => ({
  id: e.id,
  at: e.at,
  what: describeAccountEntry(e),
  reason: e.reason,
  targetId: e.target_id,
});
const pictureRow = (e: ModerationAuditEntry, me: string | null): Row => ({
  id: e.id,
  at: e.at,
  what: describePictureEntry(e, me),
  reason: e.reason ?? null,
  targetId: e.target_user_id,
});

export function AuditPage() {
  const { admin, user } = useSession();
  const me = user?.id ?? null;
  return (
    <AdminLayout title="Audit log" intro="Every admin action, newest first, with who did it and why.">
      <div className="audit-columns">
        <AuditList
          title="Accounts"
          testId="account-audit"
          load={async (cursor) => {
            const page = await admin.audit(cursor, AUDIT_PAGE_SIZE);
            return { rows: page.entries.map(accountRow), next: page.next_cursor };
          }}
        />
        <AuditList
          title="Pictures"
          testId="picture-audit"
          load={async (cursor) => {
            const page = await admin.moderationAudit(cursor, AUDIT_PAGE_SIZE);
            return { rows: page.entries.map((e) => pictureRow(e, me)), next: page.next_cursor };
          }}
        />
      </div>
    </AdminLayout>
  );
}
