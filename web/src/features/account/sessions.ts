/** How the sessions list reads: this device first, then the others by when they were last used. */
import type { SessionInfo } from "../../api/types";

export interface SessionRow {
  id: string;
  device: string;
  /** "203.0.113.0/24", or a phrase when the server saw no IP address. */
  network: string;
  /** "Active now", "Last active 5 minutes ago", "Last active on 1 Sept 2026". */
  lastActive: string;
  current: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "Active now", "5 minutes ago", "3 hours ago", "Yesterday", "4 days ago", then the date. */
export function lastActive(iso: string, now: Date): string {
  const then = new Date(iso);
  const elapsed = now.getTime() - then.getTime();
  if (Number.isNaN(elapsed)) return "Unknown";
  if (elapsed < 2 * MINUTE) return "Active now";
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} minutes ago`;
  if (elapsed < DAY) {
    const hours = Math.floor(elapsed / HOUR);
    return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
  }
  if (elapsed < 2 * DAY) return "Yesterday";
  if (elapsed < 30 * DAY) return `${Math.floor(elapsed / DAY)} days ago`;
  return then.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

function activity(when: string): string {
  if (when === "Active now" || when === "Unknown") return when === "Unknown" ? "Last active: unknown" : when;
  if (/^\d+ \w+ ago$|^Yesterday$/.test(when)) return `Last active ${when.toLowerCase()}`;
  return `Last active on ${when}`;
}

export function sessionRows(sessions: SessionInfo[], now: Date): SessionRow[] {
  const ordered = [...sessions].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.last_used_at.localeCompare(a.last_used_at),
  );
  return ordered.map((s) => ({
    id: s.id,
    device: s.device || "Unknown device",
    network: s.address ? `Network ${s.address}` : "Unknown network",
    lastActive: s.current ? "Active now" : activity(lastActive(s.last_used_at, now)),
    current: s.current,
  }));
}

/** Whether "Sign out everywhere else" has anything to do. */
export function hasOtherSessions(sessions: SessionInfo[]): boolean {
  return sessions.some((s) => !s.current);
}
