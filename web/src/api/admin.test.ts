import { describe, expect, it } from "vitest";
import { AdminClient } from "./admin";
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
    if (call.url === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t1" }));
    calls.push(call);
    return answer(call);
  }) as typeof fetch;
  return { admin: new AdminClient(new AuthClient(fn, null)), calls };
}

const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
const user = { id: "u/1", email: "ann@example.com", username: "ann", role: "user", suspended: null };

describe("AdminClient: accounts", () => {
  it("searches by prefix and pages with the cursor, leaving empty parameters out", async () => {
    const { admin, calls } = client(() => ok({ users: [user], next_cursor: "c/1+" }));
    const first = await admin.users("  Ann ");
    await admin.users("", first.next_cursor, 10);
    expect(calls.map((c) => [c.method, c.url, c.auth])).toEqual([
      ["GET", "/admin/users?q=Ann&limit=25", "Bearer t1"],
      ["GET", "/admin/users?cursor=c%2F1%2B&limit=10", "Bearer t1"],
    ]);
  });

  it("reads one account, suspends with the reason and unsuspends, escaping the id", async () => {
    const { admin, calls } = client(() => ok(user));
    await admin.user("u/1");
    await admin.suspend("u/1", "Spam");
    await admin.unsuspend("u/1");
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["GET", "/admin/users/u%2F1", null],
      ["POST", "/admin/users/u%2F1/suspend", { reason: "Spam" }],
      ["POST", "/admin/users/u%2F1/unsuspend", null],
    ]);
  });

  it("pages through the account audit", async () => {
    const { admin, calls } = client(() => ok({ entries: [], next_cursor: null }));
    expect(await admin.audit("abc", 5)).toEqual({ entries: [], next_cursor: null });
    expect(calls[0].url).toBe("/admin/audit?cursor=abc&limit=5");
  });

  it("turns a 403 for a non-admin into an ApiError", async () => {
    const { admin } = client(() => ok({ status: 403, type: "urn:profile-pictures:problem:admin-required" }, 403));
    const error = await admin.users("").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(403);
  });
});

describe("AdminClient: pictures", () => {
  it("lists the queue by status", async () => {
    const { admin, calls } = client(() => ok({ items: [], next_cursor: null }));
    await admin.moderation("pending");
    await admin.moderation("rejected", "n", 12);
    expect(calls.map((c) => c.url)).toEqual([
      "/admin/moderation?status=pending&limit=24",
      "/admin/moderation?status=rejected&cursor=n&limit=12",
    ]);
  });

  it("approves with no body and rejects with the reason", async () => {
    const { admin, calls } = client((c) =>
      ok({
        upload_id: "up1",
        status: c.url.endsWith("approve") ? "applied" : "rejected",
        moderation_status: c.url.endsWith("approve") ? "approved" : "rejected",
      }),
    );
    expect((await admin.approve("up1")).status).toBe("applied");
    expect((await admin.reject("up1", "Not a face")).moderation_status).toBe("rejected");
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "/admin/moderation/up1/approve", null],
      ["POST", "/admin/moderation/up1/reject", { reason: "Not a face" }],
    ]);
  });

  it("takes a live picture down with the reason (204) and pages the picture audit", async () => {
    const { admin, calls } = client((c) =>
      c.method === "DELETE" ? new Response(null, { status: 204 }) : ok({ entries: [], next_cursor: null }),
    );
    await expect(admin.takeDown("u1", "Offensive")).resolves.toBeUndefined();
    await admin.moderationAudit(null, 20);
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["DELETE", "/admin/profiles/u1/avatar", { reason: "Offensive" }],
      ["GET", "/admin/moderation/audit?limit=20", null],
    ]);
  });

  it("lets a 409 for the opposite decision through as an ApiError", async () => {
    const { admin } = client(() => ok({ status: 409, detail: "Already rejected." }, 409));
    await expect(admin.approve("up1")).rejects.toMatchObject({ status: 409, message: "Already rejected." });
  });
});
