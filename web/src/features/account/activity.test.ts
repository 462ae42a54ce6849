import { describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../api/types";
import { EMPTY_ACTIVITY, appendPage, describeAgent, describeEvent } from "./activity";

const event = (id: string, at: string, kind = "sign_in", detail: string | null = "password"): ActivityEvent => ({
  id,
  kind,
  at,
  ip: "127.0.0.1",
  user_agent: "",
  detail,
});

describe("activity pages", () => {
  it("appends older pages newest first and knows when it is done", () => {
    const first = appendPage(EMPTY_ACTIVITY, {
      events: [event("3", "2026-01-03T00:00:00Z"), event("2", "2026-01-02T00:00:00Z")],
      next_cursor: "c1",
    });
    expect(first.done).toBe(false);
    expect(first.cursor).toBe("c1");
    const second = appendPage(first, { events: [event("1", "2026-01-01T00:00:00Z")], next_cursor: null });
    expect(second.events.map((e) => e.id)).toEqual(["3", "2", "1"]);
    expect(second.done).toBe(true);
  });

  it("keeps each event once when a page overlaps (a retried request)", () => {
    const first = appendPage(EMPTY_ACTIVITY, { events: [event("2", "2026-01-02T00:00:00Z")], next_cursor: "c" });
    const again = appendPage(first, {
      events: [event("2", "2026-01-02T00:00:00Z"), event("1", "2026-01-01T00:00:00Z")],
      next_cursor: "d",
    });
    expect(again.events.map((e) => e.id)).toEqual(["2", "1"]);
  });

  it("orders events of the same second by id, like the service's keyset", () => {
    const list = appendPage(EMPTY_ACTIVITY, {
      events: [event("a", "2026-01-01T00:00:00Z"), event("b", "2026-01-01T00:00:00Z")],
      next_cursor: null,
    });
    expect(list.events.map((e) => e.id)).toEqual(["b", "a"]);
  });
});

describe("describeEvent", () => {
  it.each([
    [event("1", "", "sign_in", "password + totp"), "Signed in with password and authenticator code"],
    [event("1", "", "sign_in", "password + recovery_code"), "Signed in with password and recovery code"],
    [event("1", "", "reauthenticated", "totp"), "Identity confirmed for a sensitive change with authenticator code"],
    [event("1", "", "session_revoked", "Chrome on Android"), "Signed out a device: Chrome on Android"],
    [event("1", "", "other_sessions_revoked", "2"), "Signed out every other device"],
    [event("1", "", "sign_in_failed", "password"), "Failed sign-in attempt: wrong password"],
    [event("1", "", "sign_in_failed", "second factor"), "Failed sign-in attempt: wrong verification code"],
    [event("1", "", "email_changed", "new@example.com"), "Email address changed to new@example.com"],
    [event("1", "", "mfa_enabled", null), "Two-step verification turned on"],
    [event("1", "", "something_new", null), "Something new"],
  ])("%#: %s", (e, text) => {
    expect(describeEvent(e)).toBe(text);
  });
});

describe("describeAgent", () => {
  it("names common browsers and systems", () => {
    expect(
      describeAgent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0 Safari/537.36",
      ),
    ).toBe("Chrome on Linux");
    expect(
      describeAgent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iOS");
    expect(describeAgent("")).toBe("Unknown device");
    expect(describeAgent("python-httpx/0.28")).toBe("python-httpx/0.28");
  });
});
