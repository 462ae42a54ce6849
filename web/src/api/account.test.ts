import { describe, expect, it } from "vitest";
import { AccountClient } from "./account";
import { AuthClient } from "./auth";
import { ApiError } from "./problem";

type Call = { url: string; method: string; auth: string | null; body: unknown };

function client(answer: (call: Call) => Response) {
  const calls: Call[] = [];
  const fn = (async (input: string, init: RequestInit = {}) => {
    const call = {
      url: String(input),
      method: init.method ?? "GET",
      auth: new Headers(init.headers).get("Authorization"),
      body: typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : null,
    };
    calls.push(call);
    if (call.url === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t1" }));
    return answer(call);
  }) as typeof fetch;
  const auth = new AuthClient(fn, null);
  return { auth, account: new AccountClient(auth), calls };
}

const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

describe("AccountClient", () => {
  it("changes the password with the current one, signed in", async () => {
    const { account, calls } = client(() => new Response(null, { status: 204 }));
    await account.changePassword("old-password", "new-password");
    expect(calls.at(-1)).toEqual({
      url: "/auth/password",
      method: "POST",
      auth: "Bearer t1",
      body: { current_password: "old-password", new_password: "new-password" },
    });
  });

  it("asks for and confirms a password reset signed out (no token, no refresh)", async () => {
    const { account, calls } = client((c) =>
      c.url === "/auth/password-reset"
        ? ok({ status: "accepted", detail: "sent" }, 202)
        : new Response(null, { status: 204 }),
    );
    expect((await account.requestPasswordReset("ann@example.com")).status).toBe("accepted");
    await account.resetPassword("tok", "brand-new-password");
    expect(calls).toEqual([
      { url: "/auth/password-reset", method: "POST", auth: null, body: { email: "ann@example.com" } },
      {
        url: "/auth/password-reset/confirm",
        method: "POST",
        auth: null,
        body: { token: "tok", new_password: "brand-new-password" },
      },
    ]);
  });

  it("turns a used reset link into an ApiError carrying the reason", async () => {
    const { account } = client(() =>
      ok({ status: 410, detail: "The link has already been used.", reason: "used_token" }, 410),
    );
    const error = await account.resetPassword("tok", "brand-new-password").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.reason).toBe("used_token");
  });

  it("requests and confirms an e-mail change", async () => {
    const { account, calls } = client((c) =>
      c.url === "/auth/email-change"
        ? ok({ status: "accepted", detail: "" }, 202)
        : ok({ id: "u", email: "new@example.com" }),
    );
    await account.requestEmailChange("new@example.com");
    expect((await account.confirmEmailChange("tok")).email).toBe("new@example.com");
    expect(calls.filter((c) => c.url !== "/auth/refresh").map((c) => [c.url, c.auth, c.body])).toEqual([
      ["/auth/email-change", "Bearer t1", { new_email: "new@example.com" }],
      ["/auth/email-change/confirm", "Bearer t1", { token: "tok" }],
    ]);
  });

  it("enrols, confirms and disables TOTP", async () => {
    const { account, calls } = client((c) => {
      if (c.url.endsWith("/enroll")) return ok({ secret: "S", otpauth_uri: "otpauth://totp/x", qr_svg: "<svg/>" });
      if (c.url.endsWith("/confirm")) return ok({ recovery_codes: ["aaaaa-bbbbb", "ccccc-ddddd"] });
      return new Response(null, { status: 204 });
    });
    expect((await account.enrollTotp()).secret).toBe("S");
    expect(await account.confirmTotp("123456")).toEqual(["aaaaa-bbbbb", "ccccc-ddddd"]);
    await account.disableTotp();
    expect(calls.filter((c) => c.url !== "/auth/refresh").map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "/auth/mfa/totp/enroll", null],
      ["POST", "/auth/mfa/totp/confirm", { code: "123456" }],
      ["POST", "/auth/mfa/totp/disable", null],
    ]);
  });

  it("pages through activity with the cursor", async () => {
    const { account, calls } = client((c) =>
      ok(
        c.url.includes("cursor=") ? { events: [], next_cursor: null } : { events: [{ id: "1" }], next_cursor: "c/1+" },
      ),
    );
    const first = await account.activity(10);
    expect(first.next_cursor).toBe("c/1+");
    const second = await account.activity(10, first.next_cursor);
    expect(second).toEqual({ events: [], next_cursor: null });
    const urls = calls.filter((c) => c.url !== "/auth/refresh").map((c) => c.url);
    expect(urls).toEqual(["/auth/activity?limit=10", "/auth/activity?limit=10&cursor=c%2F1%2B"]);
  });

  it("deletes the account with no body (a recent sign-in is the proof)", async () => {
    const { account, calls } = client(() => ok({ status: "deleting", detail: "" }, 202));
    await account.deleteAccount();
    expect(calls.filter((c) => c.url === "/auth/me").map((c) => [c.method, c.body])).toEqual([["DELETE", null]]);
  });

  it("lists and ends sessions", async () => {
    const { account, calls } = client((c) =>
      c.url === "/auth/sessions"
        ? ok({ sessions: [{ id: "a/b", current: true }] })
        : new Response(null, { status: 204 }),
    );
    expect((await account.sessions()).map((s) => s.id)).toEqual(["a/b"]);
    await account.revokeSession("a/b");
    await account.revokeOtherSessions();
    await account.reportSignIn("tok");
    expect(calls.filter((c) => c.url !== "/auth/refresh").map((c) => [c.method, c.url, c.auth, c.body])).toEqual([
      ["GET", "/auth/sessions", "Bearer t1", null],
      ["DELETE", "/auth/sessions/a%2Fb", "Bearer t1", null],
      ["POST", "/auth/sessions/revoke-others", "Bearer t1", null],
      ["POST", "/auth/sessions/not-me", null, { token: "tok" }],
    ]);
  });
});
