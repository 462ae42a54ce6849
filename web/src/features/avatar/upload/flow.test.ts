import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../../../api/problem";
import type { ConfirmUpload, UploadTicket } from "../../../api/types";
import { UploadError } from "./errors";
import { type Clock, FIRST_POLL_MS, type IntentState, type UploadApi, buildForm, uploadAvatar } from "./flow";
import type { PostResult, Transport } from "./transport";

const NOW = Date.parse("2030-01-01T00:00:00Z");

/** A clock whose sleep moves time forward at once: no real waiting in tests. */
function fakeClock(): Clock & { slept: number[] } {
  let t = NOW;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

function params(n: number, expiresAt = NOW + 3_600_000): UploadTicket {
  return {
    upload_id: `p${n}`,
    upload_url: "http://cld/v1_1/demo/image/upload",
    fields: { timestamp: String(n), signature: `sig${n}`, public_id: `profiles/u1/p${n}`, api_key: "k" },
    public_id: `profiles/u1/p${n}`,
    expires_at: new Date(expiresAt).toISOString(),
    status_url: `/profiles/me/avatar/uploads/p${n}`,
  };
}

const ok = (n: number): PostResult => ({
  status: 200,
  body: JSON.stringify({ public_id: `profiles/u1/p${n}`, version: 1700000000 + n, signature: `resp${n}` }),
  cldError: null,
});
const failed = (status: number, message: string): PostResult => ({
  status,
  body: JSON.stringify({ error: { message } }),
  cldError: message,
});

class FakeApi implements UploadApi {
  created = 0;
  polls = 0;
  confirmed: ConfirmUpload[] = [];
  constructor(
    private readonly statuses: (IntentState["status"] | Error)[] = ["applied"],
    private readonly expiries: number[] = [],
  ) {}
  async createUpload() {
    this.created += 1;
    return params(this.created, this.expiries[this.created - 1]);
  }
  async status() {
    const next = this.statuses[Math.min(this.polls, this.statuses.length - 1)];
    this.polls += 1;
    if (next instanceof Error) throw next;
    return { status: next, reason: next === "rejected" ? "too many pixels" : null };
  }
  async confirm(_p: UploadTicket, body: ConfirmUpload) {
    this.confirmed.push(body);
    return { status: this.confirmAnswer, reason: null };
  }
  confirmAnswer = "applied";
}

/** A transport that answers from a script and records what was posted. */
function scripted(...answers: PostResult[]): Transport & { posted: FormData[] } {
  const posted: FormData[] = [];
  const transport = async (_url: string, form: FormData, options: { onProgress?: (l: number, t: number) => void }) => {
    posted.push(form);
    options.onProgress?.(512, 1024);
    options.onProgress?.(1024, 1024);
    const answer = answers.shift();
    if (!answer) throw new Error("unexpected post");
    return answer;
  };
  return Object.assign(transport, { posted });
}

const file = new Blob([new Uint8Array(1024)], { type: "image/webp" });
const request = { file, filename: "avatar.webp", pollIntervalMs: 500, confirmAfterMs: 4000 };

describe("uploadAvatar", () => {
  it("posts every signed field and the file, then waits for the webhook", async () => {
    const api = new FakeApi(["pending", "pending", "applied"]);
    const transport = scripted(ok(1));
    const clock = fakeClock();
    const progress: number[] = [];
    const phases: string[] = [];
    const outcome = await uploadAvatar(api, transport, clock, {
      ...request,
      onProgress: (f) => progress.push(f),
      onPhase: (p) => phases.push(p),
    });
    expect(outcome.state.status).toBe("applied");
    expect(outcome.confirmedByClient).toBe(false);
    expect(api.confirmed).toEqual([]);
    // The first poll waits for the notification Cloudinary sends after its answer; then every 500 ms.
    expect(clock.slept).toEqual([FIRST_POLL_MS, 500, 500]);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toContain(0.5);
    expect(phases).toEqual(["signing", "uploading", "confirming"]);
    const form = transport.posted[0];
    expect(form.get("signature")).toBe("sig1");
    expect(form.get("public_id")).toBe("profiles/u1/p1");
    expect([...form.keys()].at(-1)).toBe("file");
  });

  it("gets new parameters and retries once when Cloudinary says they expired", async () => {
    const api = new FakeApi();
    const transport = scripted(failed(400, "Stale request - reported time is 2029-12-31 22:00:00 +0000"), ok(2));
    const outcome = await uploadAvatar(api, transport, fakeClock(), request);
    expect(api.created).toBe(2);
    expect(transport.posted.map((f) => f.get("signature"))).toEqual(["sig1", "sig2"]);
    expect(outcome.params.public_id).toBe("profiles/u1/p2");
  });

  it("gives up with an 'expired' message when the fresh parameters expire too", async () => {
    const stale = failed(400, "Stale request - reported time is ...");
    const api = new FakeApi();
    const error = await uploadAvatar(api, scripted(stale, stale), fakeClock(), request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).kind).toBe("expired");
    expect(api.created).toBe(2);
  });

  it("refreshes parameters that are already past expires_at before posting", async () => {
    const api = new FakeApi(["applied"], [NOW - 1000, NOW + 60_000]);
    const transport = scripted(ok(2));
    await uploadAvatar(api, transport, fakeClock(), request);
    expect(api.created).toBe(2);
    expect(transport.posted[0].get("signature")).toBe("sig2");
  });

  it("uses the confirm fallback with Cloudinary's version and signature after the deadline", async () => {
    const api = new FakeApi(["pending"]);
    const clock = fakeClock();
    const outcome = await uploadAvatar(api, scripted(ok(1)), clock, request);
    expect(outcome.confirmedByClient).toBe(true);
    expect(api.confirmed).toEqual([{ version: 1700000001, signature: "resp1" }]);
    expect(clock.now() - NOW).toBe(FIRST_POLL_MS + 4000);
    expect(api.polls).toBe(9); // at 0.15 s, 0.65 s, ... 4.15 s: the last one past the 4 s deadline
  });

  it("ends at awaiting_moderation as a finished upload under review, without the confirm fallback", async () => {
    const api = new FakeApi(["pending", "awaiting_moderation", "applied"]);
    const clock = fakeClock();
    const outcome = await uploadAvatar(api, scripted(ok(1)), clock, request);
    expect(outcome.state.status).toBe("awaiting_moderation");
    expect(outcome.underReview).toBe(true);
    expect(outcome.confirmedByClient).toBe(false);
    expect(api.polls).toBe(2); // stops polling at once: a reviewer may take hours
    expect(api.confirmed).toEqual([]);
    expect(clock.now() - NOW).toBeLessThan(4000);
  });

  it("treats a confirm fallback that answers awaiting_moderation as under review, not a timeout", async () => {
    const api = new FakeApi(["pending"]);
    api.confirmAnswer = "awaiting_moderation";
    const outcome = await uploadAvatar(api, scripted(ok(1)), fakeClock(), request);
    expect(outcome).toMatchObject({ confirmedByClient: true, underReview: true });
    expect(outcome.state.status).toBe("awaiting_moderation");
  });

  it("says an applied upload is not under review", async () => {
    const outcome = await uploadAvatar(new FakeApi(["applied"]), scripted(ok(1)), fakeClock(), request);
    expect(outcome.underReview).toBe(false);
  });

  it("keeps polling through a network blip", async () => {
    const api = new FakeApi([new NetworkError(), new ApiError({ status: 503 }), "applied"]);
    const outcome = await uploadAvatar(api, scripted(ok(1)), fakeClock(), request);
    expect(outcome.state.status).toBe("applied");
    expect(api.confirmed).toEqual([]);
  });

  it("reports a policy rejection with the server's reason", async () => {
    const error = (await uploadAvatar(new FakeApi(["rejected"]), scripted(ok(1)), fakeClock(), request).catch(
      (e: unknown) => e,
    )) as UploadError;
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain("too many pixels");
  });

  it("reports an upload whose intent lapsed as expired, which a retry can fix", async () => {
    const error = (await uploadAvatar(new FakeApi(["expired"]), scripted(ok(1)), fakeClock(), request).catch(
      (e: unknown) => e,
    )) as UploadError;
    expect(error.kind).toBe("expired");
    expect(error.retryable).toBe(true);
  });

  it("maps a failed post to a person's words", async () => {
    const cases: [PostResult, string][] = [
      [{ status: 0, body: "", cldError: null }, "network"],
      [failed(400, "File size too large. Got 22233197. Maximum is 10485760."), "too-large"],
      [failed(400, "Invalid image file"), "not-image"],
      [failed(400, "Image file format tiff not allowed"), "unsupported-format"],
    ];
    for (const [answer, kind] of cases) {
      const error = (await uploadAvatar(new FakeApi(), scripted(answer), fakeClock(), request).catch(
        (e: unknown) => e,
      )) as UploadError;
      expect(error.kind).toBe(kind);
    }
  });

  it("turns an unreachable profile service into a network message", async () => {
    const api = new FakeApi();
    api.createUpload = async () => {
      throw new NetworkError();
    };
    await expect(uploadAvatar(api, scripted(), fakeClock(), request)).rejects.toMatchObject({ kind: "network" });
  });

  it("shows the wait when signing is refused by a quota, and posts nothing", async () => {
    const api = new FakeApi();
    api.createUpload = async () => {
      throw new ApiError({ status: 429, detail: "You have started 30 uploads in the last hour." }, 720);
    };
    const transport = scripted();

    const error = (await uploadAvatar(api, transport, fakeClock(), request).catch((e: unknown) => e)) as UploadError;

    expect(error).toBeInstanceOf(UploadError);
    expect(error.kind).toBe("quota");
    expect(error.message).toBe("Too many uploads right now. Try again in 12 minutes.");
    expect(transport.posted).toHaveLength(0);
  });

  it("stops polling when cancelled", async () => {
    const controller = new AbortController();
    const api = new FakeApi(["pending"]);
    const clock = fakeClock();
    clock.sleep = async () => {
      controller.abort();
    };
    await expect(
      uploadAvatar(api, scripted(ok(1)), clock, { ...request, signal: controller.signal }),
    ).rejects.toMatchObject({ kind: "cancelled" });
    expect(api.confirmed).toEqual([]);
  });

  it("builds the form with the file last", () => {
    const form = buildForm(params(7), file, "a.webp");
    expect([...form.keys()]).toEqual(["timestamp", "signature", "public_id", "api_key", "file"]);
    expect((form.get("file") as File).name).toBe("a.webp");
  });
});
