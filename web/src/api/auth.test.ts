import { describe, expect, it } from "vitest";
import { AuthClient } from "./auth";
import { ApiError, NetworkError } from "./problem";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function fakeFetch(handler: Handler) {
  const calls: { url: string; auth: string | null }[] = [];
  const fn = (async (input: string, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, auth: new Headers(init.headers).get("Authorization") });
    return handler(url, init);
  }) as typeof fetch;
  return { fn, calls };
}

const token = (t: string) => new Response(JSON.stringify({ access_token: t, token_type: "Bearer", expires_in: 900 }));

describe("AuthClient", () => {
  it("keeps the access token in memory and sends it as a Bearer token", async () => {
    const { fn, calls } = fakeFetch((url) =>
      url === "/auth/login" ? token("t1") : new Response(JSON.stringify({ id: "u1", username: "ann" })),
    );
    const auth = new AuthClient(fn, null);
    await auth.login("ann", "secret-password");
    expect((await auth.me()).username).toBe("ann");
    expect(calls.at(-1)).toEqual({ url: "/auth/me", auth: "Bearer t1" });
  });

  it("refreshes once and retries once on a 401", async () => {
    let refreshes = 0;
    const { fn, calls } = fakeFetch((url, init) => {
      if (url === "/auth/refresh") return token(`t${++refreshes + 1}`);
      const auth = new Headers(init.headers).get("Authorization");
      return new Response("{}", { status: auth === "Bearer t2" ? 200 : 401 });
    });
    const auth = new AuthClient(fn, null);
    await auth.refresh(); // t2 ... then expire it:
    refreshes = 0;
    (auth as unknown as { token: string }).token = "stale";
    const response = await auth.fetch("/profiles/me");
    expect(response.status).toBe(200);
    expect(calls.map((c) => c.url)).toEqual(["/auth/refresh", "/profiles/me", "/auth/refresh", "/profiles/me"]);
  });

  it("does not loop when the retry is refused too", async () => {
    const { fn, calls } = fakeFetch((url) =>
      url === "/auth/refresh" ? token("t") : new Response("{}", { status: 401 }),
    );
    const auth = new AuthClient(fn, null);
    await auth.login("a", "b").catch(() => undefined);
    const response = await auth.fetch("/profiles/me");
    expect(response.status).toBe(401);
    expect(calls.filter((c) => c.url === "/profiles/me")).toHaveLength(2);
  });

  it("shares one refresh between concurrent callers (a refresh token may be used only once)", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { fn, calls } = fakeFetch(async () => {
      await gate;
      return token("t");
    });
    const auth = new AuthClient(fn, null);
    const both = Promise.all([auth.refresh(), auth.refresh()]);
    release();
    expect(await both).toEqual([true, true]);
    expect(calls).toHaveLength(1);
  });

  it("signs out when the refresh cookie is refused", async () => {
    const { fn } = fakeFetch(() => new Response("{}", { status: 401 }));
    const auth = new AuthClient(fn, null);
    expect(await auth.refresh()).toBe(false);
    expect(auth.signedIn).toBe(false);
    await expect(auth.fetch("/profiles/me")).rejects.toBeInstanceOf(ApiError);
  });

  it("is signed out, with no error, when the refresh answers 204 (no refresh cookie at all)", async () => {
    const { fn, calls } = fakeFetch((url) =>
      url === "/auth/refresh" ? new Response(null, { status: 204 }) : new Response("{}", { status: 200 }),
    );
    const auth = new AuthClient(fn, null);
    const changes: boolean[] = [];
    auth.onChange((signedIn) => changes.push(signedIn));
    expect(await auth.refresh()).toBe(false);
    expect(auth.signedIn).toBe(false);
    await expect(auth.fetch("/profiles/me")).rejects.toBeInstanceOf(ApiError);
    expect(calls.filter((c) => c.url === "/profiles/me")).toHaveLength(0);
    expect(changes.every((signedIn) => !signedIn)).toBe(true);
  });

  it("turns a 409 problem into field messages and a dead network into NetworkError", async () => {
    const conflict = new Response(
      JSON.stringify({
        type: "about:blank",
        title: "Conflict",
        status: 409,
        detail: "That email is already registered.",
        field: "email",
      }),
      { status: 409, headers: { "Content-Type": "application/problem+json" } },
    );
    const auth = new AuthClient(fakeFetch(() => conflict).fn, null);
    const error = (await auth
      .register({ email: "a@b.co", username: "abc", password: "12345678" })
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(409);
    expect(error.fieldMessages()).toEqual({ email: "That email is already registered." });

    const offline = new AuthClient(async () => {
      throw new TypeError("Failed to fetch");
    }, null);
    await expect(offline.login("a", "b")).rejects.toBeInstanceOf(NetworkError);
  });

  it("reads Retry-After from a 429", async () => {
    const throttled = new Response(JSON.stringify({ status: 429, detail: "Too many failed sign-in attempts" }), {
      status: 429,
      headers: { "Retry-After": "30" },
    });
    const auth = new AuthClient(fakeFetch(() => throttled).fn, null);
    const error = (await auth.login("a", "b").catch((e: unknown) => e)) as ApiError;
    expect(error.retryAfter).toBe(30);
  });
});

describe("AuthClient sign-in with a second factor", () => {
  it("answers the MFA challenge without signing in, then signs in with the code", async () => {
    const { fn, calls } = fakeFetch((url) => {
      if (url === "/auth/login")
        return new Response(JSON.stringify({ mfa_required: true, mfa_token: "m1", expires_in: 300 }));
      if (url === "/auth/login/mfa") return token("t9");
      return new Response(JSON.stringify({ id: "u1", username: "ann", mfa_enabled: true, recovery_codes_left: 9 }));
    });
    const auth = new AuthClient(fn, null);
    const seen: boolean[] = [];
    auth.onChange((signedIn) => seen.push(signedIn));
    expect(await auth.login("ann", "secret-password")).toEqual({ mfaRequired: true, mfaToken: "m1", expiresIn: 300 });
    expect(auth.signedIn).toBe(false);
    await auth.loginMfa("m1", "123456");
    expect(auth.signedIn).toBe(true);
    expect(seen).toEqual([true]);
    expect((await auth.me()).mfa_enabled).toBe(true);
    expect(calls.at(-1)).toEqual({ url: "/auth/me", auth: "Bearer t9" });
  });

  it("signs straight in when no second factor is asked for", async () => {
    const { fn } = fakeFetch(() => token("t1"));
    const auth = new AuthClient(fn, null);
    expect(await auth.login("ann", "pw")).toEqual({ mfaRequired: false });
    expect(auth.signedIn).toBe(true);
  });

  it("keeps the visitor signed out when the code is refused", async () => {
    const { fn } = fakeFetch((url) =>
      url === "/auth/login/mfa"
        ? new Response(JSON.stringify({ status: 401, detail: "The code is wrong or was already used." }), {
            status: 401,
          })
        : token("t"),
    );
    const auth = new AuthClient(fn, null);
    const error = await auth.loginMfa("m1", "000000").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(auth.signedIn).toBe(false);
  });
});
