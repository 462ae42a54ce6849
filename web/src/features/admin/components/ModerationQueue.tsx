/**
 * The moderation queue: a grid of pictures of one status. On pending pictures the keyboard decides: arrow
 * keys or j/k move between cards (one focusable card at a time), `a` approves the focused one, `r` opens the
 * reject dialog (a reason is required). A decided card leaves the grid and a polite live region says so.
 */
import { type KeyboardEvent, useCallback, useEffect, useLayoutEffect, useReducer, useRef } from "react";
import type { ModerationStatus } from "../../../api/admin";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { adminErrorMessage, decisionFailure, formatWhen } from "../messages";
import { canDecide, columnsFromTops, focusedItem, initialQueue, ownerName, queueCommand, queueReducer } from "../queue";
import { AdminLayout } from "./AdminLayout";
import { ReasonDialog } from "./ReasonDialog";

export const QUEUE_PAGE_SIZE = 24;

const TABS: { status: ModerationStatus; label: string }[] = [
  { status: "pending", label: "Pending" },
  { status: "approved", label: "Approved" },
  { status: "rejected", label: "Rejected" },
];

function columnsOf(grid: HTMLElement | null): number {
  return columnsFromTops(grid ? [...grid.children].map((card) => (card as HTMLElement).offsetTop) : []);
}

export function ModerationQueue() {
  const { admin } = useSession();
  const [state, dispatch] = useReducer(queueReducer, undefined, () => initialQueue("pending"));
  const grid = useRef<HTMLUListElement>(null);
  // Focus follows the state's focus only after a key press or a decision, never on load (it would steal it).
  const moveFocus = useRef(false);
  const pending = state.status === "pending";

  const loadPage = useCallback(
    async (status: ModerationStatus, cursor: string | null) => {
      dispatch({ type: "loading" });
      try {
        dispatch({ type: "page", status, page: await admin.moderation(status, cursor, QUEUE_PAGE_SIZE) });
      } catch (error) {
        dispatch({ type: "load-failed", message: adminErrorMessage(error) });
      }
    },
    [admin],
  );

  const { status } = state;
  useEffect(() => {
    void loadPage(status, null);
  }, [status, loadPage]);

  // Deciding every card of a page empties the grid: the next page comes in by itself, so the keyboard flow
  // goes on (a decided upload has left the pending set; the keyset cursor still points past it).
  const emptied = state.list.items.length === 0 && state.list.cursor !== null;
  const { cursor } = state.list;
  const idle = !state.loading && state.error === null;
  useEffect(() => {
    if (emptied && idle && cursor !== null) void loadPage(status, cursor);
  }, [emptied, idle, cursor, status, loadPage]);

  useLayoutEffect(() => {
    if (!moveFocus.current) return;
    moveFocus.current = false;
    const cards = grid.current?.querySelectorAll<HTMLElement>("[data-card]");
    const card = cards?.[state.focus];
    if (card) card.focus();
    else if (cards?.length === 0) document.getElementById("queue-heading")?.focus();
  }, [state.focus, state.list.items]);

  const approve = async (uploadId: string) => {
    if (!canDecide(state, uploadId)) return;
    dispatch({ type: "deciding", uploadId });
    moveFocus.current = true;
    try {
      await admin.approve(uploadId);
      dispatch({ type: "decided", uploadId, decision: "approved" });
    } catch (error) {
      dispatch({ type: "decide-failed", uploadId, ...decisionFailure(error) });
    }
  };

  const reject = async (uploadId: string, reason: string) => {
    dispatch({ type: "deciding", uploadId });
    try {
      await admin.reject(uploadId, reason);
    } catch (error) {
      const failure = decisionFailure(error);
      // A retryable failure keeps the dialog open with the message; one decided elsewhere closes it.
      if (!failure.gone) {
        dispatch({ type: "decide-failed", uploadId, message: failure.message, gone: false });
        throw error;
      }
      moveFocus.current = true;
      dispatch({ type: "decide-failed", uploadId, ...failure });
      return;
    }
    moveFocus.current = true;
    dispatch({ type: "decided", uploadId, decision: "rejected" });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    // Keys pressed on a button inside a card keep their meaning (Enter, Space); letters still decide.
    const command = queueCommand(event, columnsOf(grid.current));
    if (command === null) return;
    const item = focusedItem(state);
    if (command.type === "approve" || command.type === "reject") {
      if (!pending || item === null) return;
      event.preventDefault();
      if (command.type === "approve") void approve(item.upload_id);
      else dispatch({ type: "open-reject", uploadId: item.upload_id });
      return;
    }
    event.preventDefault();
    moveFocus.current = true;
    dispatch(command);
  };

  const rejecting = state.list.items.find((i) => i.upload_id === state.rejecting) ?? null;

  return (
    <AdminLayout
      title="Moderation"
      intro="Pictures waiting for review stay out of public view until approved; their owners see them as under review."
    >
      <div className="queue-tabs" role="group" aria-label="Show pictures">
        {TABS.map((tab) => (
          <button
            key={tab.status}
            type="button"
            className={`button button-small ${tab.status === state.status ? "" : "button-quiet"}`}
            aria-pressed={tab.status === state.status}
            onClick={() => dispatch({ type: "status", status: tab.status })}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <section className="card settings-card" aria-labelledby="queue-heading" aria-busy={state.loading}>
        <h2 id="queue-heading" tabIndex={-1}>
          {TABS.find((t) => t.status === state.status)?.label} pictures
        </h2>
        {pending && (
          <p className="muted" id="queue-keys">
            Keyboard: arrow keys or <kbd>j</kbd> and <kbd>k</kbd> move between pictures, <kbd>a</kbd> approves,{" "}
            <kbd>r</kbd> rejects (you give a reason). The buttons do the same.
          </p>
        )}
        <FormAlert message={state.error} />
        {!state.loading && !state.error && state.list.items.length === 0 && (
          <p className="muted">{pending ? "Nothing waits for review." : "No pictures here yet."}</p>
        )}
        <ul className="queue-grid" ref={grid} onKeyDown={onKeyDown} data-testid="moderation-grid">
          {state.list.items.map((item, index) => {
            const titleId = `card-${item.upload_id}`;
            const deciding = state.deciding === item.upload_id;
            // Only the focused card's link and buttons are in the Tab order (Tab: card, its buttons, out).
            const inner = index === state.focus ? 0 : -1;
            return (
              <li
                key={item.upload_id}
                className="queue-card"
                data-card
                data-testid="moderation-card"
                data-upload-id={item.upload_id}
                tabIndex={index === state.focus ? 0 : -1}
                aria-labelledby={titleId}
                aria-describedby={pending ? "queue-keys" : undefined}
                aria-keyshortcuts={pending ? "a r ArrowLeft ArrowRight ArrowUp ArrowDown j k" : undefined}
                aria-busy={deciding || undefined}
                onFocus={() => {
                  // Clicking a card's button moves the roving focus there too.
                  if (index !== state.focus) dispatch({ type: "focus", index });
                }}
              >
                {item.thumbnail_url ? (
                  <img
                    src={item.thumbnail_url}
                    alt={`Picture uploaded by ${ownerName(item)}`}
                    width={160}
                    height={160}
                    loading="lazy"
                    decoding="async"
                  />
                ) : (
                  // A rejected picture is destroyed at Cloudinary: there is nothing left to show.
                  <span className="queue-gone">No picture (deleted)</span>
                )}
                <p id={titleId} className="queue-owner">
                  <Link href={`/console/users?id=${encodeURIComponent(item.user_id)}`} tabIndex={inner}>
                    {ownerName(item)}
                  </Link>
                </p>
                <p className="muted queue-meta">
                  {item.uploaded_at && (
                    <>
                      Uploaded <time dateTime={item.uploaded_at}>{formatWhen(item.uploaded_at)}</time>
                    </>
                  )}
                  {item.decided_at && (
                    <>
                      <br />
                      Decided <time dateTime={item.decided_at}>{formatWhen(item.decided_at)}</time>
                    </>
                  )}
                  {item.reason && (
                    <>
                      <br />
                      Reason: {item.reason}
                    </>
                  )}
                </p>
                {pending && (
                  <div className="actions queue-actions">
                    <button
                      type="button"
                      className="button button-small"
                      tabIndex={inner}
                      disabled={state.deciding !== null}
                      onClick={() => void approve(item.upload_id)}
                    >
                      {deciding ? "Working…" : "Approve"}
                    </button>
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      tabIndex={inner}
                      disabled={state.deciding !== null}
                      onClick={() => dispatch({ type: "open-reject", uploadId: item.upload_id })}
                    >
                      Reject…
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
        <div className="actions">
          {!state.list.done && !state.loading && (
            <button
              type="button"
              className="button button-quiet"
              onClick={() => void loadPage(state.status, state.list.cursor)}
            >
              {state.error ? "Try again" : "Load more"}
            </button>
          )}
          {state.loading && <span className="muted">Loading…</span>}
        </div>
        <p role="status" aria-live="polite" className="muted" data-testid="queue-announcement">
          {state.announcement}
        </p>
      </section>
      <ReasonDialog
        open={rejecting !== null}
        title={rejecting ? `Reject ${ownerName(rejecting)}'s picture?` : "Reject the picture?"}
        intro="The picture is deleted and never shown to others. Its owner is shown your reason."
        action="Reject"
        testId="reject-dialog"
        onSubmit={(reason) => (rejecting ? reject(rejecting.upload_id, reason) : Promise.resolve())}
        onClose={() => dispatch({ type: "close-reject" })}
        describeError={(e) => decisionFailure(e).message}
      />
    </AdminLayout>
  );
}
