/** The profile-service client: profile, avatar policy, upload intents. Shapes are normalized leniently. */
import type { AuthClient } from "./auth";
import { json } from "./auth";
import { problemFrom } from "./problem";

export interface AvatarVariant {
  width: number;
  url: string;
}

export interface Avatar {
  public_id: string;
  version: number | null;
  secure_url: string;
  width: number | null;
  height: number | null;
  /** Square eager sizes, smallest first. */
  variants: AvatarVariant[];
}

export type Theme = "system" | "light" | "dark";
export type Visibility = "public" | "private";

export interface Preferences {
  theme: Theme;
  notifications: { email: boolean; sms: boolean };
}

export interface PreferencesChange {
  theme?: Theme;
  notifications?: { email?: boolean; sms?: boolean };
}

export interface Profile {
  username: string | null;
  display_name: string;
  bio: string;
  avatar: Avatar | null;
  /** Free text: a town, or a full address. */
  location: string;
  website: string | null;
  visibility: Visibility;
  preferences: Preferences;
}

/** What anyone may see at `/u/{username}` (a private profile: only its owner). */
export interface PublicProfile {
  username: string;
  display_name: string;
  bio: string;
  avatar: Avatar | null;
  location: string;
  website: string | null;
}

export interface ProfileChange {
  display_name?: string;
  bio?: string;
  location?: string;
  /** `null` clears it. */
  website?: string | null;
  visibility?: Visibility;
  preferences?: PreferencesChange;
}

export const DEFAULT_PREFERENCES: Preferences = { theme: "system", notifications: { email: true, sms: false } };

export interface UploadParams {
  upload_url: string;
  fields: Record<string, string>;
  public_id: string;
  expires_at: string;
  status_url: string;
}

export type IntentStatus = "pending" | "applied" | "rejected" | "superseded" | "expired";

export interface IntentState {
  status: IntentStatus;
  reason: string | null;
}

export interface ConfirmBody {
  version: number;
  signature: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;

/** Eager sizes may come as `{"64": url}`, `{"w_64": {secure_url, width}}` or `[{width, secure_url}]`. */
export function normalizeVariants(raw: unknown): AvatarVariant[] {
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((v, i) => [String(i), v])
    : isObject(raw)
      ? Object.entries(raw)
      : [];
  const out: AvatarVariant[] = [];
  for (const [key, value] of entries) {
    const url = str(value) ?? (isObject(value) ? (str(value.secure_url) ?? str(value.url)) : null);
    const keyWidth = /(\d+)/.exec(key)?.[1];
    const width =
      (isObject(value) ? (num(value.width) ?? num(value.size)) : null) ??
      (!Array.isArray(raw) && keyWidth ? Number(keyWidth) : null);
    if (url && width) out.push({ width, url });
  }
  return out.sort((a, b) => a.width - b.width);
}

const isTheme = (v: unknown): v is Theme => v === "system" || v === "light" || v === "dark";
const bool = (v: unknown, fallback: boolean): boolean =>
  typeof v === "boolean" ? v : v === 1 || v === 0 ? v === 1 : fallback;

export function normalizePreferences(raw: unknown): Preferences {
  const p = isObject(raw) ? raw : {};
  const n = isObject(p.notifications) ? p.notifications : {};
  return {
    theme: isTheme(p.theme) ? p.theme : DEFAULT_PREFERENCES.theme,
    notifications: {
      email: bool(n.email, DEFAULT_PREFERENCES.notifications.email),
      sms: bool(n.sms, DEFAULT_PREFERENCES.notifications.sms),
    },
  };
}

function normalizeAvatar(raw: unknown): Avatar | null {
  const a = isObject(raw) ? raw : null;
  const secureUrl = a ? (str(a.secure_url) ?? str(a.url)) : null;
  return a && secureUrl
    ? {
        public_id: str(a.public_id) ?? "",
        version: num(a.version),
        secure_url: secureUrl,
        width: num(a.width),
        height: num(a.height),
        variants: normalizeVariants(a.variants ?? a.eager ?? a.sizes),
      }
    : null;
}

/** Only http(s) links are ever rendered as links (a stored `javascript:` URL must never become an href). */
export function safeWebsite(v: unknown): string | null {
  const s = str(v);
  if (!s) return null;
  try {
    const url = new URL(s);
    return url.protocol === "http:" || url.protocol === "https:" ? s : null;
  } catch {
    return null;
  }
}

export function normalizeProfile(raw: unknown): Profile {
  const p = isObject(raw) ? raw : {};
  return {
    username: str(p.username),
    display_name: str(p.display_name) ?? "",
    bio: str(p.bio) ?? "",
    avatar: normalizeAvatar(p.avatar),
    location: str(p.location) ?? "",
    website: safeWebsite(p.website),
    visibility: p.visibility === "private" ? "private" : "public",
    preferences: normalizePreferences(p.preferences),
  };
}

export function normalizePublicProfile(raw: unknown): PublicProfile {
  const p = isObject(raw) ? raw : {};
  return {
    username: str(p.username) ?? "",
    display_name: str(p.display_name) ?? "",
    bio: str(p.bio) ?? "",
    avatar: normalizeAvatar(p.avatar),
    location: str(p.location) ?? "",
    website: safeWebsite(p.website),
  };
}

export class ProfileClient {
  constructor(private readonly auth: AuthClient) {}

  private async call<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.auth.fetch(path, init);
    if (!response.ok) throw await problemFrom(response);
    return (response.status === 204 ? null : await response.json()) as T;
  }

  async me(): Promise<Profile> {
    return normalizeProfile(await this.call<unknown>("/profiles/me"));
  }

  async update(change: ProfileChange): Promise<Profile> {
    return normalizeProfile(await this.call<unknown>("/profiles/me", json("PATCH", change)));
  }

  async updatePreferences(change: PreferencesChange): Promise<Preferences> {
    return normalizePreferences(await this.call<unknown>("/profiles/me/preferences", json("PATCH", change)));
  }

  /**
   * Anyone's public profile, or null when there is none to show (unknown, or private and not ours: the
   * service answers both with the same 404). Signed in, the token goes along so owners see their own.
   */
  async publicProfile(username: string): Promise<PublicProfile | null> {
    const path = `/profiles/${encodeURIComponent(username)}`;
    const response = this.auth.signedIn ? await this.auth.fetch(path) : await this.auth.anonymous(path);
    if (response.status === 404) return null;
    if (!response.ok) throw await problemFrom(response);
    return normalizePublicProfile(await response.json());
  }

  async policy(): Promise<unknown> {
    return this.call<unknown>("/profiles/me/avatar/policy");
  }

  async createUpload(): Promise<UploadParams> {
    const raw = await this.call<UploadParams>("/profiles/me/avatar/uploads", { method: "POST" });
    // The signed fields travel as form fields: every value must be the exact string that was signed.
    const fields = Object.fromEntries(Object.entries(raw.fields).map(([k, v]) => [k, String(v)]));
    return { ...raw, fields };
  }

  async status(params: UploadParams, signal?: AbortSignal): Promise<IntentState> {
    const raw = await this.call<Json>(params.status_url, { signal });
    const status = str(raw.status) as IntentStatus | null;
    return { status: status ?? "pending", reason: str(raw.reason) ?? str(raw.detail) };
  }

  async confirm(params: UploadParams, body: ConfirmBody, signal?: AbortSignal): Promise<IntentState> {
    const raw = await this.call<Json>(confirmUrl(params), { ...json("POST", body), signal });
    const status = str(raw.status) as IntentStatus | null;
    return { status: status ?? "applied", reason: str(raw.reason) ?? str(raw.detail) };
  }

  async removeAvatar(): Promise<void> {
    await this.call<null>("/profiles/me/avatar", { method: "DELETE" });
  }
}

/** `POST /profiles/me/avatar/uploads/{public_id}/confirm`: next to the status URL. */
export function confirmUrl(params: UploadParams): string {
  return `${params.status_url.replace(/\/+$/, "")}/confirm`;
}
