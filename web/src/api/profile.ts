/** The profile-service client: profile, preferences, public profiles, avatar policy, upload intents. */
import type { AuthClient } from "./auth";
import { ApiError } from "./problem";
import type {
  AvatarPolicy,
  ConfirmUpload,
  Preferences,
  PreferencesChange,
  Profile,
  ProfileChange,
  PublicProfile,
  UploadStatus,
  UploadTicket,
} from "./types";

/** One eager size of an avatar, for `srcset`. */
export interface AvatarVariant {
  width: number;
  url: string;
}

/** Preferences with the service's defaults filled in (a profile saved before they existed has none). */
export type ResolvedPreferences = Required<Preferences>;

export const DEFAULT_PREFERENCES: ResolvedPreferences = {
  theme: "system",
  notifications: { email: true, sms: false },
};

export function resolvePreferences(preferences: Preferences | undefined): ResolvedPreferences {
  return {
    theme: preferences?.theme ?? DEFAULT_PREFERENCES.theme,
    notifications: preferences?.notifications ?? DEFAULT_PREFERENCES.notifications,
  };
}

/** The service's `{"64": url, ...}` eager sizes as a list, smallest first. */
export function avatarVariants(variants: Record<string, string>): AvatarVariant[] {
  return Object.entries(variants)
    .map(([size, url]) => ({ width: Number(size), url }))
    .filter((v) => Number.isInteger(v.width) && v.width > 0 && v.url !== "")
    .sort((a, b) => a.width - b.width);
}

/** Only http(s) links are ever rendered as links (a stored `javascript:` URL must never become an href). */
export function safeWebsite(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? value : null;
  } catch {
    return null;
  }
}

// The website is dropped on the way in, so no page can render a stored non-http(s) value as a link.
const withSafeWebsite = <T extends { website?: string | null }>(profile: T): T => ({
  ...profile,
  website: safeWebsite(profile.website),
});

export class ProfileClient {
  constructor(private readonly auth: AuthClient) {}

  async me(): Promise<Profile> {
    return withSafeWebsite(await this.auth.call<Profile>("/profiles/me"));
  }

  async update(change: ProfileChange): Promise<Profile> {
    return withSafeWebsite(await this.auth.call<Profile>("/profiles/me", { method: "PATCH", body: change }));
  }

  async updatePreferences(change: PreferencesChange): Promise<ResolvedPreferences> {
    const saved = await this.auth.call<Preferences>("/profiles/me/preferences", { method: "PATCH", body: change });
    return resolvePreferences(saved);
  }

  /**
   * Anyone's public profile, or null when there is none to show (unknown, or private and not ours: the
   * service answers both with the same 404). Signed in, the token goes along so owners see their own.
   */
  async publicProfile(username: string): Promise<PublicProfile | null> {
    const path = `/profiles/${encodeURIComponent(username)}`;
    try {
      const found = this.auth.signedIn
        ? await this.auth.call<PublicProfile>(path)
        : await this.auth.callAnonymous<PublicProfile>(path);
      return withSafeWebsite(found);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  policy(): Promise<AvatarPolicy> {
    return this.auth.call<AvatarPolicy>("/profiles/me/avatar/policy");
  }

  createUpload(): Promise<UploadTicket> {
    return this.auth.call<UploadTicket>("/profiles/me/avatar/uploads", { method: "POST" });
  }

  status(ticket: UploadTicket, signal?: AbortSignal): Promise<UploadStatus> {
    return this.auth.call<UploadStatus>(ticket.status_url, { signal });
  }

  confirm(ticket: UploadTicket, body: ConfirmUpload, signal?: AbortSignal): Promise<UploadStatus> {
    return this.auth.call<UploadStatus>(confirmUrl(ticket), { method: "POST", body, signal });
  }

  async removeAvatar(): Promise<void> {
    await this.auth.call<undefined>("/profiles/me/avatar", { method: "DELETE" });
  }
}

/** `POST /profiles/me/avatar/uploads/{upload_id}/confirm`: next to the status URL. */
export function confirmUrl(ticket: Pick<UploadTicket, "status_url">): string {
  return `${ticket.status_url.replace(/\/+$/, "")}/confirm`;
}
