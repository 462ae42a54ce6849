import { useEffect, useRef, useState } from "react";
import { type ActivityList, EMPTY_ACTIVITY, appendPage, describeAgent, describeEvent } from "../activity";
import { FormAlert } from "../../../components/FormAlert";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { SettingsLayout } from "./SettingsLayout";

export const PAGE_SIZE = 10;

const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function ActivitySettings() {
  const { account } = useSession();
  const [list, setList] = useState<ActivityList>(EMPTY_ACTIVITY);
  const [announce, setAnnounce] = useState<string | null>(null);
  const started = useRef(false);
  const {
    busy,
    error,
    run: load,
  } = useSubmit(
    async (current: ActivityList) => {
      const page = await account.activity(PAGE_SIZE, current.cursor);
      const next = appendPage(current, page);
      setList(next);
      if (current.events.length > 0) {
        const added = next.events.length - current.events.length;
        setAnnounce(`${added} more event${added === 1 ? "" : "s"} loaded.${next.done ? " That's everything." : ""}`);
      }
    },
    (e) => (e instanceof Error ? e.message : "Your activity couldn't be loaded."),
  );
  // Loading from the first render: the first page is asked for as soon as the page is shown.
  const loading = busy || (list === EMPTY_ACTIVITY && error === null);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void load(EMPTY_ACTIVITY);
  }, [load]);

  return (
    <SettingsLayout
      title="Account activity"
      intro="Sign-ins and changes to your account over the last 90 days, newest first. Anything you don't recognise? Change your password and turn on two-step verification."
    >
      <section className="card settings-card" aria-labelledby="activity-title" aria-busy={loading}>
        <h2 id="activity-title" className="visually-hidden">
          Events
        </h2>
        <FormAlert message={error} />
        {list.events.length === 0 && !loading && !error && <p className="muted">Nothing yet.</p>}
        <ol className="activity-list" data-testid="activity-list">
          {list.events.map((event) => (
            <li
              key={event.id}
              className={`activity-item activity-${event.kind}`}
              data-kind={event.kind}
              data-event-id={event.id}
            >
              <p className="activity-what">{describeEvent(event)}</p>
              <p className="muted activity-meta">
                <time dateTime={event.at}>{formatter.format(new Date(event.at))}</time>
                {" · "}
                {describeAgent(event.user_agent)}
                {event.ip ? ` · ${event.ip}` : ""}
              </p>
            </li>
          ))}
        </ol>
        {loading && <p className="muted">Loading…</p>}
        <div className="actions">
          {!list.done && !loading && (
            <button type="button" className="button button-quiet" onClick={() => void load(list)}>
              {error ? "Try again" : "Load more"}
            </button>
          )}
          <span role="status" className="muted">
            {announce}
          </span>
        </div>
      </section>
    </SettingsLayout>
  );
}
