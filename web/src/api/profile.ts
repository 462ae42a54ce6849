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

export interface Profile {
  username: string | null;
  display_name: string;
  bio: string;
  avatar: Avatar | null;
}

export interface ProfileChange {
  display_name?: string;
  bio?: string;
}

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

export function normalizeProfile(raw: unknown): Profile {
  const p = isObject(raw) ? raw : {};
  const a = isObject(p.avatar) ? p.avatar : null;
  const secureUrl = a ? (str(a.secure_url) ?? str(a.url)) : null;
  return {
    username: str(p.username),
    display_name: str(p.display_name) ?? "",
    bio: str(p.bio) ?? "",
    avatar:
      a && secureUrl
        ? {
            public_id: str(a.public_id) ?? "",
            version: num(a.version),
            secure_url: secureUrl,
            width: num(a.width),
            height: num(a.height),
            variants: normalizeVariants(a.variants ?? a.eager ?? a.sizes),
          }
        : null,
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
