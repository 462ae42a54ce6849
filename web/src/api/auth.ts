/**
 * The auth-service client. The access token lives in this object only (never in storage); the refresh
 * token is an HttpOnly cookie scoped to /auth that the page cannot read. A 401 on an authorized call
 * triggers one refresh and one retry. A 401 with the step-up problem type (the token is valid but its
 * sign-in is too old for a dangerous action) instead asks the step-up handler (the dialog) for a fresh
 * token, then retries once.
 */
import { ApiError, type Problem, problemFrom, send } from "./problem";
import { type RequestOptions, request } from "./request";
import type { AccessToken, MfaRequired, Reauthentication, Registration, User } from "./types";

/** The `type` of auth-service's 401 for "authenticate again, then retry". */
export const STEP_UP_REQUIRED = "urn:profile-pictures:problem:step-up-required";

/** The `type` of auth-service's 403 for a suspended account (sign-in, the code step, passkeys, refresh). */
export const ACCOUNT_SUSPENDED = "urn:profile-pictures:problem:account-suspended";

/** A sign-in refused because the account is suspended, in words with the admin's reason; null for anything else. */
export function suspendedMessage(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 403 || error.problem.type !== ACCOUNT_SUSPENDED) return null;
  const reason = error.problem.reason?.trim();
  return `This account is suspended${reason ? `: ${reason}` : ""}. If you think this is a mistake, contact support.`;
}

/**
 * Called when a request needs a step-up: prove who you are again and resolve with the new access token
 * (for instance by calling `AuthClient.reauthenticate`), or reject (the person cancelled).
 */
export type StepUpHandler = (problem: Problem) => Promise<AccessToken>;

/** The person closed the step-up dialog: the request that needed it was not sent again. */
export class StepUpCancelled extends Error {
  constructor() {
    super("This needs you to confirm it's you. Nothing was changed.");
    this.name = "StepUpCancelled";
  }
}

async function problemField(response: Response): Promise<string | undefined> {
  try {
    return ((await response.clone().json()) as Partial<Problem>).field;
  } catch {
    return undefined;
  }
}

async function stepUpProblem(response: Response): Promise<Problem | null> {
  if (response.status !== 401) return null;
  try {
    const body = (await response.clone().json()) as Partial<Problem>;
    return body.type === STEP_UP_REQUIRED ? { ...body, status: 401 } : null;
  } catch {
    return null;
  }
}

/** What the first sign-in step ends with: signed in, or a second factor is needed. */
export type LoginResult = { mfaRequired: false } | { mfaRequired: true; mfaToken: string; expiresIn: number };

type Locks = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

export class AuthClient {
  private token: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private stepUpHandler: StepUpHandler | null = null;
  private steppingUp: Promise<void> | null = null;
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
        // 204: no refresh cookie at all, a signed-out visitor (not an error, so the console stays clean).
        if (!response.ok || response.status === 204) {
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

  /** Who answers step-up requests (the dialog); `null` to stop (the request then fails with the 401). */
  setStepUpHandler(handler: StepUpHandler | null): void {
    this.stepUpHandler = handler;
  }

  /**
   * Prove who you are again (the password, or a TOTP or recovery code): the session's new access token is
   * kept here and returned. A wrong proof is an ApiError (401 naming `field`), and is never sent twice.
   */
  async reauthenticate(proof: Reauthentication): Promise<AccessToken> {
    if (this.token === null && !(await this.refresh())) {
      throw new ApiError({ status: 401, title: "Unauthorized", detail: "Please sign in." });
    }
    const attempt = () =>
      send(this.fetchFn, "/auth/reauthenticate", {
        method: "POST",
        headers: { Authorization: `Bearer ${this.token ?? ""}`, "Content-Type": "application/json" },
        body: JSON.stringify(proof),
      });
    let response = await attempt();
    // An expired access token (no `field`): refresh once. A wrong password or code is not retried.
    if (response.status === 401 && !(await problemField(response)) && (await this.refresh()))
      response = await attempt();
    if (!response.ok) throw await problemFrom(response);
    const body = (await response.json()) as AccessToken;
    this.setToken(body.access_token);
    return body;
  }

  /** A request with the access token; on 401, one refresh and one retry, or one step-up and one retry. */
  async fetch(input: string, init: RequestInit = {}): Promise<Response> {
    if (this.token === null && !(await this.refresh())) {
      throw new ApiError({ status: 401, title: "Unauthorized", detail: "Please sign in." });
    }
    const attempt = () => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${this.token ?? ""}`);
      return send(this.fetchFn, input, { ...init, headers });
    };
    let response = await attempt();
    if (response.status !== 401) return response;
    let stepUp = await stepUpProblem(response);
    if (stepUp === null) {
      if (!(await this.refresh())) return response;
      response = await attempt();
      stepUp = await stepUpProblem(response);
    }
    if (stepUp === null || this.stepUpHandler === null) return response;
    await this.stepUp(stepUp);
    return attempt();
  }

  /** Concurrent requests that all need a step-up share one dialog. */
  private stepUp(problem: Problem): Promise<void> {
    const handler = this.stepUpHandler;
    if (handler === null) return Promise.reject(new StepUpCancelled());
    this.steppingUp ??= (async () => {
      try {
        this.setToken((await handler(problem)).access_token);
      } finally {
        this.steppingUp = null;
      }
    })();
    return this.steppingUp;
  }

  me(): Promise<User> {
    return this.call<User>("/auth/me");
  }
}
