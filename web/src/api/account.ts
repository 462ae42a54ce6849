/**
 * Account management on the auth service: password change and reset, e-mail change, the TOTP second
 * factor, account activity and account deletion. Signed-in calls go through `AuthClient.fetch` (one
 * refresh + one retry on 401); the reset calls are made signed out.
 */
import type { AuthClient, User } from "./auth";
import { json } from "./auth";
import { problemFrom } from "./problem";

export interface TotpEnrollment {
  /** Base32 secret, for typing into an authenticator app by hand. */
  secret: string;
  /** `otpauth://totp/...`, what the QR code holds. */
  otpauth_uri: string;
  /** The URI as a server-drawn SVG QR code (see `qrImageSource` before showing it). */
  qr_svg: string;
}

export interface ActivityEvent {
  id: string;
  kind: string;
  at: string;
  ip: string;
  user_agent: string;
  detail: string | null;
}

export interface ActivityPage {
  events: ActivityEvent[];
  next_cursor: string | null;
}

export interface Accepted {
  status: string;
  detail: string;
}

export class AccountClient {
  constructor(private readonly auth: AuthClient) {}

  private async call<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.auth.fetch(path, init);
    if (!response.ok) throw await problemFrom(response);
    return (response.status === 204 ? null : await response.json()) as T;
  }

  private async anonymous<T>(path: string, init: RequestInit): Promise<T> {
    const response = await this.auth.anonymous(path, init);
    if (!response.ok) throw await problemFrom(response);
    return (response.status === 204 ? null : await response.json()) as T;
  }

  /** 204; every other sign-in is revoked, this one is kept. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.call<null>(
      "/auth/password",
      json("POST", { current_password: currentPassword, new_password: newPassword }),
    );
  }

  /** Always the same answer, whether or not the address has an account. */
  async requestPasswordReset(email: string): Promise<Accepted> {
    return this.anonymous<Accepted>("/auth/password-reset", json("POST", { email }));
  }

  /** The token from the e-mailed link; every sign-in of the account is revoked. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.anonymous<null>("/auth/password-reset/confirm", json("POST", { token, new_password: newPassword }));
  }

  /** A confirmation link goes to the new address; the e-mail changes only once it is followed. */
  async requestEmailChange(newEmail: string, password: string): Promise<Accepted> {
    return this.call<Accepted>("/auth/email-change", json("POST", { new_email: newEmail, password }));
  }

  /** Must be called signed in as the account that asked; answers the user with the new address. */
  async confirmEmailChange(token: string): Promise<User> {
    return this.call<User>("/auth/email-change/confirm", json("POST", { token }));
  }

  async enrollTotp(): Promise<TotpEnrollment> {
    return this.call<TotpEnrollment>("/auth/mfa/totp/enroll", { method: "POST" });
  }

  /** Turns MFA on; the ten recovery codes are shown once. */
  async confirmTotp(code: string): Promise<string[]> {
    return (await this.call<{ recovery_codes: string[] }>("/auth/mfa/totp/confirm", json("POST", { code })))
      .recovery_codes;
  }

  async disableTotp(code: string): Promise<void> {
    await this.call<null>("/auth/mfa/totp/disable", json("POST", { code }));
  }

  /** Newest first; pass `next_cursor` back as `cursor` for the next (older) page. */
  async activity(limit = 20, cursor: string | null = null): Promise<ActivityPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    const page = await this.call<Partial<ActivityPage>>(`/auth/activity?${query}`);
    return { events: page.events ?? [], next_cursor: page.next_cursor ?? null };
  }

  /**
   * 202: the account is locked at once and deleted in the background (every sign-in revoked); the caller
   * then ends this page's session (`AuthClient.logout`/`forget`).
   */
  async deleteAccount(password: string, code?: string): Promise<Accepted> {
    const body = code ? { password, code } : { password };
    return this.call<Accepted>("/auth/me", json("DELETE", body));
  }
}
