/** Account activity, as a list the page can grow with "Load more" and describe in plain words. */
import type { ActivityEvent, ActivityPage } from "../../api/types";

export interface ActivityList {
  events: ActivityEvent[];
  /** The cursor of the next (older) page; null once the last page is in. */
  cursor: string | null;
  done: boolean;
}

export const EMPTY_ACTIVITY: ActivityList = { events: [], cursor: null, done: false };

/** Append an older page, keeping newest first and each event once (a page may overlap a retried one). */
export function appendPage(list: ActivityList, page: ActivityPage): ActivityList {
  const seen = new Set(list.events.map((e) => e.id));
  const events = [...list.events, ...page.events.filter((e) => !seen.has(e.id))];
  events.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { events, cursor: page.next_cursor, done: page.next_cursor === null };
}

const KINDS: Record<string, string> = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in attempt",
  password_changed: "Password changed",
  password_reset_requested: "Password reset requested",
  password_reset: "Password reset",
  email_change_requested: "Email change requested",
  email_changed: "Email address changed",
  mfa_enabled: "Two-step verification turned on",
  mfa_disabled: "Two-step verification turned off",
  recovery_code_used: "Recovery code used",
  account_deletion_requested: "Account deletion requested",
  reauthenticated: "Identity confirmed for a sensitive change",
  session_revoked: "Signed out a device",
  other_sessions_revoked: "Signed out every other device",
  sign_in_reported: "Sign-in reported as not you",
};

const DETAILS: Record<string, string> = {
  password: "with password",
  "password + totp": "with password and authenticator code",
  "password + recovery_code": "with password and recovery code",
  "second factor": "wrong verification code",
};

/** "Signed in with password and authenticator code", "Email address changed to a@b.c", … */
export function describeEvent(event: Pick<ActivityEvent, "kind" | "detail">): string {
  const what = KINDS[event.kind] ?? event.kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  if (!event.detail) return what;
  if (event.kind === "email_changed") return `${what} to ${event.detail}`;
  if (event.kind === "session_revoked") return `${what}: ${event.detail}`;
  if (event.kind === "other_sessions_revoked") return what;
  if (event.kind === "reauthenticated") {
    const how = { password: "password", totp: "authenticator code", recovery_code: "recovery code" }[event.detail];
    return how ? `${what} with ${how}` : what;
  }
  if (event.kind === "sign_in_failed") {
    return `${what}: ${event.detail === "password" ? "wrong password" : (DETAILS[event.detail] ?? event.detail)}`;
  }
  return `${what} ${DETAILS[event.detail] ?? `(${event.detail})`}`;
}

/** A short browser description from a user agent ("Chrome on Linux"), or the raw string when unknown. */
export function describeAgent(userAgent: string): string {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /(Chrome|Chromium|HeadlessChrome)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : null;
  const os = /Android/.test(userAgent)
    ? "Android"
    : /(iPhone|iPad)/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? (userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent);
}
