/**
 * The auth-service client. The access token lives in this object only (never in storage); the refresh
 * token is an HttpOnly cookie scoped to /auth that the page cannot read. A 401 on an authorized call
 * triggers one refresh and one retry.
 */
import { ApiError, send } from "./problem";
import { type RequestOptions, request } from "./request";
import type { AccessToken, MfaRequired, Registration, User } from "./types";

/** What the first sign-in step ends with: signed in, or a second factor is needed. */
export type LoginResult = { mfaRequired: false } | { mfaRequired: true; mfaToken: string; expiresIn: number };

type Locks = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

export class AuthClient {
  private token: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(signedIn: boolean) => void>();

  constructor(
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
    private readonly locks: Locks | null = typeof navigator !== "undefined" && "locks" in navigator
      ? navigator.locks
      : null,
  ) {}

  get signedIn(): boolean {
    return this.token !== null;
  }

  /** Called with `false` when the session ends (sign-out, or a refresh that failed). */
  onChange(listener: (signedIn: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setToken(token: string | null): void {
    const changed = (token === null) !== (this.token === null);
    this.token = token;
    if (changed) for (const listener of this.listeners) listener(token !== null);
  }

  /** JSON to and from a service with the access token (one refresh and one retry on a 401). */
  call<T>(path: string, options?: RequestOptions): Promise<T> {
    return request<T>((input, init) => this.fetch(input, init), path, options);
  }

  /** JSON to and from a service without the access token (the visitor is not signed in). */
  callAnonymous<T>(path: string, options?: RequestOptions): Promise<T> {
    return request<T>((input, init) => this.anonymous(input, init), path, options);
  }

  register(registration: Registration): Promise<User> {
    return this.callAnonymous<User>("/auth/register", { method: "POST", body: registration });
  }

  /**
   * The first sign-in step. An account with a second factor answers `{mfa_required, mfa_token}` instead of
   * tokens (and no cookie): the caller then asks for a code and finishes with `loginMfa`.
   */
  async login(login: string, password: string): Promise<LoginResult> {
    const body = await this.callAnonymous<AccessToken | MfaRequired>("/auth/login", {
      method: "POST",
      body: { login, password },
    });
    if ("mfa_required" in body && body.mfa_required) {
      return { mfaRequired: true, mfaToken: body.mfa_token, expiresIn: body.expires_in };
    }
    // A gateway or an older service answering something else must not look like a signed-in session.
    if (!("access_token" in body)) {
      throw new ApiError({ status: 502, title: "Bad Gateway", detail: "The sign-in answer had no token." });
    }
    this.setToken(body.access_token);
    return { mfaRequired: false };
  }

  /** The second sign-in step: a 6-digit code from the authenticator app, or a recovery code. */
  async loginMfa(mfaToken: string, code: string): Promise<void> {
    const body = await this.callAnonymous<AccessToken>("/auth/login/mfa", {
      method: "POST",
      body: { mfa_token: mfaToken, code },
    });
    this.setToken(body.access_token);
  }

  /** Use an access token that a sign-in or step-up answered outside this class (a passkey ceremony). */
  adoptToken(answer: AccessToken): void {
    this.setToken(answer.access_token);
  }

  /** A request without the access token (password reset: the visitor is not signed in). */
  anonymous(input: string, init: RequestInit = {}): Promise<Response> {
    return send(this.fetchFn, input, init);
  }

  /** Forget the access token here (the account was deleted: the server already revoked every sign-in). */
  forget(): void {
    this.setToken(null);
  }

  /**
   * Exchange the refresh cookie for a new access token. Concurrent callers share one request, and a
   * Web Lock serializes tabs: the auth service treats a refresh token presented twice as stolen and
   * revokes the whole session, so two parallel refreshes with the same cookie would sign the user out.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const run = () => send(this.fetchFn, "/auth/refresh", { method: "POST", credentials: "same-origin" });
        const response = this.locks ? await this.locks.request("auth-refresh", run) : await run();
        if (!response.ok) {
          this.setToken(null);
          return false;
        }
        this.setToken(((await response.json()) as AccessToken).access_token);
        return true;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async logout(): Promise<void> {
    try {
      await send(this.fetchFn, "/auth/logout", { method: "POST", credentials: "same-origin" });
    } finally {
      this.setToken(null);
    }
  }

  /** A request with the access token; on 401, one refresh and one retry. */
  async fetch(input: string, init: RequestInit = {}): Promise<Response> {
    if (this.token === null && !(await this.refresh())) {
      throw new ApiError({ status: 401, title: "Unauthorized", detail: "Please sign in." });
    }
    const attempt = () => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${this.token ?? ""}`);
      return send(this.fetchFn, input, { ...init, headers });
    };
    const response = await attempt();
    if (response.status !== 401) return response;
    if (!(await this.refresh())) return response;
    return attempt();
  }

  me(): Promise<User> {
    return this.call<User>("/auth/me");
  }
}
