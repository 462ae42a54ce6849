/**
 * The admin routes of both services: accounts, suspension and the account audit on auth-service
 * (`/admin/users`, `/admin/audit`), the moderation queue, decisions, take-downs and the picture audit on
 * profile-service (`/admin/moderation`, `/admin/profiles`). The one-origin proxy sends each prefix to its
 * service; every call carries the access token, whose `role` claim both services check (403 otherwise).
 */
import type { AuthClient } from "./auth";
import type {
  AdminUser,
  AdminUserPage,
  AuditPage,
  ModerationAuditPage,
  ModerationDecision,
  ModerationPage,
} from "./types";

export type ModerationStatus = "pending" | "approved" | "rejected";

/** `?a=1&b=2`, leaving out what is empty, so the first page is asked for without a `cursor`. */
function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const id = (value: string) => encodeURIComponent(value);

export class AdminClient {
  constructor(private readonly auth: AuthClient) {}

  /** Accounts whose e-mail or username starts with `q` (case-insensitive); all of them for an empty `q`. */
  users(q: string, cursor: string | null = null, limit = 25): Promise<AdminUserPage> {
    return this.auth.call<AdminUserPage>(`/admin/users${query({ q: q.trim(), cursor, limit })}`);
  }

  user(userId: string): Promise<AdminUser> {
    return this.auth.call<AdminUser>(`/admin/users/${id(userId)}`);
  }

  /** Signs the account out everywhere and refuses its sign-ins until unsuspended. */
  suspend(userId: string, reason: string): Promise<AdminUser> {
    return this.auth.call<AdminUser>(`/admin/users/${id(userId)}/suspend`, { method: "POST", body: { reason } });
  }

  unsuspend(userId: string): Promise<AdminUser> {
    return this.auth.call<AdminUser>(`/admin/users/${id(userId)}/unsuspend`, { method: "POST" });
  }

  /** Who did what to whom, newest first. */
  audit(cursor: string | null = null, limit = 25): Promise<AuditPage> {
    return this.auth.call<AuditPage>(`/admin/audit${query({ cursor, limit })}`);
  }

  /** Pending uploads oldest first; decided ones as the service orders them. */
  moderation(status: ModerationStatus, cursor: string | null = null, limit = 24): Promise<ModerationPage> {
    return this.auth.call<ModerationPage>(`/admin/moderation${query({ status, cursor, limit })}`);
  }

  approve(uploadId: string): Promise<ModerationDecision> {
    return this.auth.call<ModerationDecision>(`/admin/moderation/${id(uploadId)}/approve`, { method: "POST" });
  }

  reject(uploadId: string, reason: string): Promise<ModerationDecision> {
    return this.auth.call<ModerationDecision>(`/admin/moderation/${id(uploadId)}/reject`, {
      method: "POST",
      body: { reason },
    });
  }

  /** Removes a live picture (404 when the profile has none); the owner is told the reason. */
  async takeDown(userId: string, reason: string): Promise<void> {
    await this.auth.call<undefined>(`/admin/profiles/${id(userId)}/avatar`, { method: "DELETE", body: { reason } });
  }

  /** Moderation decisions and take-downs, newest first. */
  moderationAudit(cursor: string | null = null, limit = 25): Promise<ModerationAuditPage> {
    return this.auth.call<ModerationAuditPage>(`/admin/moderation/audit${query({ cursor, limit })}`);
  }
}
