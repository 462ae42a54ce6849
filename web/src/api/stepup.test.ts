import { describe, expect, it } from "vitest";
import { AuthClient, STEP_UP_REQUIRED, StepUpCancelled } from "./auth";
import { ApiError } from "./problem";
import { request } from "./request";

type Call = { url: string; auth: string | null; body: unknown };

const token = (t: string) => new Response(JSON.stringify({ access_token: t, token_type: "Bearer", expires_in: 900 }));
const stepUp = () =>
  new Response(JSON.stringify({ type: STEP_UP_REQUIRED, status: 401, detail: "Confirm it is you.", max_age: 300 }), {
    status: 401,
  });

/** A fake auth-service: `/auth/me` DELETE needs token "fresh"; reauthenticate accepts the password "right". */
function server() {
  const calls: Call[] = [];
  const fn = (async (input: string, init: RequestInit = {}) => {
    const call = {
      url: String(input),
      auth: new Headers(init.headers).get("Authorization"),
      body: typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : null,
    };
    calls.push(call);
    if (call.url === "/auth/refresh") return token("stale");
    if (call.url === "/auth/reauthenticate") {
      const { password } = call.body as { password?: string };
      if (password === "right") return token("fresh");
      return new Response(JSON.stringify({ status: 401, detail: "The password is wrong.", field: "password" }), {
        status: 401,
      });
    }
    if (call.auth !== "Bearer fresh") return stepUp();
    return new Response(JSON.stringify({ status: "deleting", detail: "" }), { status: 202 });
  }) as typeof fetch;
  return { auth: new AuthClient(fn, null), calls };
}

const deleteMe = (auth: AuthClient) =>
  request<{ status: string }>((input, init) => auth.fetch(input, init), "/auth/me", { method: "DELETE" });

describe("step-up in the request layer", () => {
  it("asks the handler once, keeps the new token and retries the request once", async () => {
    const { auth, calls } = server();
    const asked: unknown[] = [];
    auth.setStepUpHandler(async (problem) => {
      asked.push(problem.type);
      return auth.reauthenticate({ password: "right" });
    });

    expect((await deleteMe(auth)).status).toBe("deleting");
    expect(asked).toEqual([STEP_UP_REQUIRED]);
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["/auth/refresh", null],
      ["/auth/me", "Bearer stale"],
      ["/auth/reauthenticate", "Bearer stale"],
      ["/auth/me", "Bearer fresh"],
    ]);
  });

  it("does not refresh on a step-up answer (the token is valid, only not recent)", async () => {
    const { auth, calls } = server();
    auth.setStepUpHandler(() => auth.reauthenticate({ password: "right" }));
    await deleteMe(auth);
    expect(calls.filter((c) => c.url === "/auth/refresh")).toHaveLength(1); // the initial one only
  });

  it("rejects the original call with a clear error when the person cancels", async () => {
    const { auth, calls } = server();
    auth.setStepUpHandler(() => Promise.reject(new StepUpCancelled()));

    const error = await deleteMe(auth).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StepUpCancelled);
    expect((error as Error).message).toMatch(/confirm it's you/i);
    expect(calls.filter((c) => c.url === "/auth/me")).toHaveLength(1);
  });

  it("without a handler the step-up problem reaches the caller as an ApiError", async () => {
    const { auth } = server();
    const error = (await deleteMe(auth).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.problem.type).toBe(STEP_UP_REQUIRED);
  });

  it("a wrong password is an ApiError naming the field, sent only once", async () => {
    const { auth, calls } = server();
    await auth.refresh();
    const error = (await auth.reauthenticate({ password: "wrong" }).catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(401);
    expect(error.problem.field).toBe("password");
    expect(calls.filter((c) => c.url === "/auth/reauthenticate")).toHaveLength(1);
  });

  it("concurrent requests share one step-up", async () => {
    const { auth } = server();
    let asked = 0;
    auth.setStepUpHandler(async () => {
      asked += 1;
      await new Promise((r) => setTimeout(r, 5));
      return auth.reauthenticate({ password: "right" });
    });
    await auth.refresh();
    const [a, b] = await Promise.all([deleteMe(auth), deleteMe(auth)]);
    expect([a.status, b.status]).toEqual(["deleting", "deleting"]);
    expect(asked).toBe(1);
  });
});
