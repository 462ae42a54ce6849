import { describe, expect, it } from "vitest";
import type { SessionInfo } from "../../api/types";
import { hasOtherSessions, lastActive, sessionRows } from "./sessions";

const now = new Date("2026-12-03T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const MIN = 60_000;

function session(overrides: Partial<SessionInfo>): SessionInfo {
  return {
    id: "s",
    created_at: ago(10 * MIN),
    last_used_at: ago(10 * MIN),
    device: "Firefox 133 on Ubuntu",
    address: "203.0.113.0/24",
    current: false,
    ...overrides,
  };
}

describe("lastActive", () => {
  it("says how long ago, in words", () => {
    expect(lastActive(ago(30_000), now)).toBe("Active now");
    expect(lastActive(ago(5 * MIN), now)).toBe("5 minutes ago");
    expect(lastActive(ago(60 * MIN), now)).toBe("1 hour ago");
    expect(lastActive(ago(3 * 60 * MIN), now)).toBe("3 hours ago");
    expect(lastActive(ago(30 * 60 * MIN), now)).toBe("Yesterday");
    expect(lastActive(ago(4 * 24 * 60 * MIN), now)).toBe("4 days ago");
    expect(lastActive("2026-09-01T08:00:00Z", now)).toMatch(/^1 Sep\w* 2026$/);
    expect(lastActive("not a date", now)).toBe("Unknown");
  });
});

describe("sessionRows", () => {
  it("puts this device first, then the most recently used, with readable networks", () => {
    const rows = sessionRows(
      [
        session({ id: "old", last_used_at: ago(3 * 24 * 60 * MIN) }),
        session({ id: "new", last_used_at: ago(5 * MIN), device: "", address: "" }),
        session({ id: "me", current: true, last_used_at: ago(20 * MIN), device: "Chrome on Android" }),
      ],
      now,
    );
    expect(rows).toEqual([
      {
        id: "me",
        device: "Chrome on Android",
        network: "Network 203.0.113.0/24",
        lastActive: "Active now",
        current: true,
      },
      {
        id: "new",
        device: "Unknown device",
        network: "Unknown network",
        lastActive: "Last active 5 minutes ago",
        current: false,
      },
      {
        id: "old",
        device: "Firefox 133 on Ubuntu",
        network: "Network 203.0.113.0/24",
        lastActive: "Last active 3 days ago",
        current: false,
      },
    ]);
  });

  it("says when a session was last used, in a sentence", () => {
    const [row] = sessionRows([session({ last_used_at: "2026-09-01T08:00:00Z" })], now);
    expect(row.lastActive).toMatch(/^Last active on 1 Sep\w* 2026$/);
    expect(sessionRows([session({ last_used_at: ago(30 * 60 * MIN) })], now)[0].lastActive).toBe(
      "Last active yesterday",
    );
  });

  it("knows whether there is anything to sign out elsewhere", () => {
    expect(hasOtherSessions([session({ current: true })])).toBe(false);
    expect(hasOtherSessions([session({ current: true }), session({ id: "x" })])).toBe(true);
  });
});
