/**
 * Account management on the auth service: password change and reset, e-mail change, the TOTP second
 * factor, account activity and account deletion. Signed-in calls go through `AuthClient.call` (one
 * refresh + one retry on 401); the reset calls are made signed out.
 */
import type { AuthClient } from "./auth";
import type { Accepted, ActivityPage, RecoveryCodes, SessionInfo, SessionList, TotpEnrollment, User } from "./types";

export class AccountClient {
  constructor(private readonly auth: AuthClient) {}

  /** 204; every other sign-in is revoked, this one is kept. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.auth.call<undefined>("/auth/password", {
      method: "POST",
      body: { current_password: currentPassword, new_password: newPassword },
    });
  }

  /** Always the same answer, whether or not the address has an account. */
  requestPasswordReset(email: string): Promise<Accepted> {
    return this.auth.callAnonymous<Accepted>("/auth/password-reset", { method: "POST", body: { email } });
  }

  /** The token from the e-mailed link; every sign-in of the account is revoked. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.auth.callAnonymous<undefined>("/auth/password-reset/confirm", {
      method: "POST",
      body: { token, new_password: newPassword },
    });
  }

  /** A confirmation link goes to the new address; the e-mail changes only once it is followed. */
  /** Needs a recent sign-in: the request layer asks for a step-up when the server says so. */
  requestEmailChange(newEmail: string): Promise<Accepted> {
    return this.auth.call<Accepted>("/auth/email-change", { method: "POST", body: { new_email: newEmail } });
  }

  /** Must be called signed in as the account that asked; answers the user with the new address. */
  confirmEmailChange(token: string): Promise<User> {
    return this.auth.call<User>("/auth/email-change/confirm", { method: "POST", body: { token } });
  }

  enrollTotp(): Promise<TotpEnrollment> {
    return this.auth.call<TotpEnrollment>("/auth/mfa/totp/enroll", { method: "POST" });
  }

  /** Turns MFA on; the ten recovery codes are shown once. */
  async confirmTotp(code: string): Promise<string[]> {
    const answer = await this.auth.call<RecoveryCodes>("/auth/mfa/totp/confirm", { method: "POST", body: { code } });
    return answer.recovery_codes;
  }

  /** Needs a recent sign-in (step-up); every other session ends. */
  async disableTotp(): Promise<void> {
    await this.auth.call<undefined>("/auth/mfa/totp/disable", { method: "POST" });
  }

  /** Newest first; pass `next_cursor` back as `cursor` for the next (older) page. */
  activity(limit = 20, cursor: string | null = null): Promise<ActivityPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.auth.call<ActivityPage>(`/auth/activity?${query.toString()}`);
  }

  /**
   * 202: the account is locked at once and deleted in the background (every sign-in revoked); the caller
   * then ends this page's session (`AuthClient.logout`/`forget`). Needs a recent sign-in (step-up).
   */
  deleteAccount(): Promise<Accepted> {
    return this.auth.call<Accepted>("/auth/me", { method: "DELETE" });
  }

  /** Where the account is signed in: live sessions, newest first, `current` for this one. */
  async sessions(): Promise<SessionInfo[]> {
    return (await this.auth.call<SessionList>("/auth/sessions")).sessions;
  }

  /** Sign one session out (its refresh token stops working at once). */
  async revokeSession(id: string): Promise<void> {
    await this.auth.call<undefined>(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  /** Sign out everywhere else; needs a recent sign-in (step-up). */
  async revokeOtherSessions(): Promise<void> {
    await this.auth.call<undefined>("/auth/sessions/revoke-others", { method: "POST" });
  }

  /** "This wasn't me", signed out: ends the reported session and mails a password-reset link. */
  async reportSignIn(token: string): Promise<void> {
    await this.auth.callAnonymous<undefined>("/auth/sessions/not-me", { method: "POST", body: { token } });
  }
}
