/** The admin console's words: reasons checked before sending, audit lines, and the services' refusals. */
import { ApiError, NetworkError } from "../../api/problem";
import type { AuditEntry, ModerationAuditEntry, Suspension } from "../../api/types";

/** The services accept 1..500 printable characters (`SuspensionRequest`, `RejectionRequest`, `TakeDownRequest`). */
export const REASON_MAX = 500;

// Control characters (C0, DEL, C1) are what "printable" rules out; the services refuse them with a 400.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with a reason before anything is sent, or null when it can go. */
export function reasonError(reason: string): string | null {
  const text = reason.trim();
  if (!text) return "Give a reason: the person is shown it.";
  if (text.length > REASON_MAX) return `At most ${REASON_MAX} characters (this is ${text.length}).`;
  if (CONTROL.test(text)) return "Use plain text: no tabs, line breaks or control characters.";
  return null;
}

/** Any admin call's failure in words; `what` names the thing that was acted on ("This account"). */
export function adminErrorMessage(error: unknown, what = "It"): string {
  if (error instanceof NetworkError) return error.message;
  if (error instanceof ApiError) {
    if (error.status === 403) return "Only administrators can do this. If you were one, your role may have changed.";
    if (error.status === 404) return `${what} no longer exists.`;
    if (error.status === 503) return "Cloudinary didn't answer, so nothing was changed. Try again in a moment.";
    if (error.status >= 500) return "That didn't work on our side. Try again in a moment.";
    return error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

/**
 * A decision on a queued picture that the service refused. `gone`: the card should leave the grid anyway
 * (decided the other way already, by another admin or Cloudinary's notification, or no longer under review).
 */
export function decisionFailure(error: unknown): { message: string; gone: boolean } {
  if (error instanceof ApiError && error.status === 409) {
    return {
      message: "This picture was already decided (by another admin or by Cloudinary). It left the queue.",
      gone: true,
    };
  }
  if (error instanceof ApiError && error.status === 404) {
    return { message: "This upload no longer exists. It left the queue.", gone: true };
  }
  return { message: adminErrorMessage(error, "This upload"), gone: false };
}

const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatWhen(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : formatter.format(at);
}

/** "Suspended on 3 Dec 2030, 14:00 by admin@example.com: Spam" (the CLI is "the command line"). */
export function suspensionLine(suspension: Suspension, byName?: string | null): string {
  const by = suspension.by === "cli" ? "the command line" : (byName ?? suspension.by);
  return `Suspended on ${formatWhen(suspension.at)} by ${by}: ${suspension.reason}`;
}

const ACCOUNT_ACTIONS: Record<string, string> = {
  "role.granted": "granted a role to",
  "role.revoked": "revoked the admin role of",
  "user.suspended": "suspended",
  "user.unsuspended": "unsuspended",
  "user.viewed": "viewed",
  "users.searched": "searched the accounts",
};

/** "admin@example.com suspended ann@example.com", "the command line granted a role to ann@… (admin)". */
export function describeAccountEntry(entry: AuditEntry): string {
  const actor =
    entry.actor_id === "cli" || entry.actor === "cli" ? "The command line" : (entry.actor ?? entry.actor_id);
  const verb = ACCOUNT_ACTIONS[entry.action] ?? entry.action;
  if (entry.action === "users.searched") {
    const q = entry.detail.q;
    return q ? `${actor} searched the accounts for “${q}”` : `${actor} listed the accounts`;
  }
  const target = entry.target ?? entry.target_id ?? "an account";
  const role = entry.action === "role.granted" && entry.detail.role ? ` (${entry.detail.role})` : "";
  return `${actor} ${verb} ${target}${role}`;
}

const PICTURE_ACTIONS: Record<string, string> = {
  "upload.approved": "approved a picture of",
  "upload.rejected": "rejected a picture of",
  "avatar.taken_down": "took down the picture of",
  "queue.viewed": "viewed the moderation queue",
};

/**
 * "You approved a picture of user 9a1b…", "Admin 0f3c… took down the picture of user 9a1b…": the picture
 * audit names people by id (profile-service keeps no e-mail addresses); `me` is the reader's own id.
 */
export function describePictureEntry(entry: ModerationAuditEntry, me?: string | null): string {
  const actor = me && entry.actor_id === me ? "You" : `Admin ${entry.actor_id}`;
  const verb = PICTURE_ACTIONS[entry.action] ?? entry.action;
  if (entry.action === "queue.viewed") return `${actor} ${verb}`;
  return `${actor} ${verb} ${entry.target_user_id ? `user ${entry.target_user_id}` : "a deleted account"}`;
}
