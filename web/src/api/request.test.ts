import { describe, expect, it } from "vitest";
import { request, traceparent } from "./request";

const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe("traceparent", () => {
  it("is a sampled W3C trace context with random ids", () => {
    const first = traceparent();
    const second = traceparent();
    expect(first).toMatch(W3C);
    expect(second).toMatch(W3C);
    expect(first.slice(3, 35)).not.toBe(second.slice(3, 35));
  });

  it("spells the random bytes as lowercase hex", () => {
    let next = 0xa0;
    const counting = (bytes: Uint8Array) => bytes.map(() => next++);
    expect(traceparent(counting)).toBe("00-a0a1a2a3a4a5a6a7a8a9aaabacadaeaf-b0b1b2b3b4b5b6b7-01");
  });

  it("never sends an all-zero id, which receivers reject", () => {
    const zeros = (bytes: Uint8Array) => bytes.fill(0);
    expect(traceparent(zeros)).toBe(`00-${"0".repeat(31)}1-${"0".repeat(15)}1-01`);
  });
});

describe("request", () => {
  it("sends a fresh traceparent on every call, beside the JSON content type", async () => {
    const sent: Headers[] = [];
    const fetcher = (_input: string, init?: RequestInit) => {
      sent.push(new Headers(init?.headers));
      return Promise.resolve(new Response(JSON.stringify({ ok: true }), { status: 200 }));
    };
    await request(fetcher, "/profiles/me");
    await request(fetcher, "/profiles/me", { method: "PATCH", body: { display_name: "A" } });
    const [get, patch] = sent;
    expect(get.get("traceparent")).toMatch(W3C);
    expect(get.get("content-type")).toBeNull();
    expect(patch.get("traceparent")).toMatch(W3C);
    expect(patch.get("content-type")).toBe("application/json");
    expect(patch.get("traceparent")).not.toBe(get.get("traceparent"));
  });
});
