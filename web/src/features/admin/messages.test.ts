import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../../api/problem";
import type { AuditEntry } from "../../api/types";
import {
  REASON_MAX,
  adminErrorMessage,
  decisionFailure,
  describeAccountEntry,
  describePictureEntry,
  reasonError,
  suspensionLine,
} from "./messages";
import { appendPaged, emptyPaged } from "./paging";

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  id: "e1",
  at: "2030-01-01T00:00:00Z",
  actor_id: "a1",
  actor: "admin@example.com",
  action: "user.suspended",
  target_id: "u1",
  target: "ann@example.com",
  reason: "Spam",
  detail: {},
  ...overrides,
});

describe("reasons", () => {
  it("requires 1 to 500 printable characters, as the services do", () => {
    expect(reasonError("Spam")).toBeNull();
    expect(reasonError("   ")).toMatch(/Give a reason/);
    expect(reasonError("x".repeat(REASON_MAX))).toBeNull();
    expect(reasonError("x".repeat(REASON_MAX + 1))).toMatch(/At most 500/);
    expect(reasonError("two\nlines")).toMatch(/plain text/);
    expect(reasonError("bell\u0007")).toMatch(/plain text/);
    expect(reasonError("Ünïcode is fine ✓")).toBeNull();
  });
});

describe("admin errors", () => {
  it("words a 403, a missing thing, Cloudinary away and the network", () => {
    expect(adminErrorMessage(new ApiError({ status: 403 }))).toMatch(/Only administrators/);
    expect(adminErrorMessage(new ApiError({ status: 404 }), "This account")).toBe("This account no longer exists.");
    expect(adminErrorMessage(new ApiError({ status: 503 }))).toMatch(/Cloudinary didn't answer/);
    expect(adminErrorMessage(new NetworkError())).toMatch(/connection/);
    expect(adminErrorMessage(new ApiError({ status: 409, detail: "You cannot suspend yourself." }))).toBe(
      "You cannot suspend yourself.",
    );
  });

  it("drops a card decided elsewhere from the queue, keeps one that can be retried", () => {
    expect(decisionFailure(new ApiError({ status: 409 }))).toMatchObject({ gone: true });
    expect(decisionFailure(new ApiError({ status: 404 }))).toMatchObject({ gone: true });
    expect(decisionFailure(new ApiError({ status: 503 }))).toMatchObject({ gone: false });
    expect(decisionFailure(new NetworkError())).toMatchObject({ gone: false });
  });
});

describe("audit lines", () => {
  it("says who did what to whom", () => {
    expect(describeAccountEntry(entry({}))).toBe("admin@example.com suspended ann@example.com");
    expect(describeAccountEntry(entry({ action: "user.unsuspended" }))).toBe(
      "admin@example.com unsuspended ann@example.com",
    );
    expect(
      describeAccountEntry(entry({ action: "role.granted", actor_id: "cli", actor: "cli", detail: { role: "admin" } })),
    ).toBe("The command line granted a role to ann@example.com (admin)");
    expect(describeAccountEntry(entry({ action: "users.searched", target: null, detail: { q: "an" } }))).toBe(
      "admin@example.com searched the accounts for “an”",
    );
    expect(describeAccountEntry(entry({ action: "something.new" }))).toBe(
      "admin@example.com something.new ann@example.com",
    );
  });

  it("says what happened to a picture", () => {
    const base = {
      id: "m1",
      at: "2030-01-01T00:00:00Z",
      actor_id: "a1",
      target_user_id: "u1",
      upload_id: "up1",
      reason: null,
    };
    expect(describePictureEntry({ ...base, action: "upload.approved" })).toBe("Admin a1 approved a picture of user u1");
    expect(describePictureEntry({ ...base, action: "avatar.taken_down" })).toBe(
      "Admin a1 took down the picture of user u1",
    );
    expect(describePictureEntry({ ...base, action: "queue.viewed" })).toBe("Admin a1 viewed the moderation queue");
    expect(describePictureEntry({ ...base, action: "upload.rejected" }, "a1")).toBe(
      "You rejected a picture of user u1",
    );
    expect(describePictureEntry({ ...base, action: "upload.rejected" }, "someone-else")).toMatch(/^Admin a1 /);
  });

  it("says who suspended an account, and when", () => {
    const line = suspensionLine({ reason: "Spam", at: "2030-01-01T00:00:00Z", by: "cli" });
    expect(line).toMatch(/^Suspended on .+ by the command line: Spam$/);
    expect(suspensionLine({ reason: "Spam", at: "2030-01-01T00:00:00Z", by: "a1" }, "boss@example.com")).toContain(
      "by boss@example.com",
    );
  });
});

describe("paging", () => {
  it("appends each row once and is done when there is no cursor", () => {
    let list = appendPaged(emptyPaged<{ id: string }>(), [{ id: "1" }, { id: "2" }], "c", (r) => r.id);
    expect(list).toEqual({ items: [{ id: "1" }, { id: "2" }], cursor: "c", done: false });
    list = appendPaged(list, [{ id: "2" }, { id: "3" }], null, (r) => r.id);
    expect(list.items.map((r) => r.id)).toEqual(["1", "2", "3"]);
    expect(list.done).toBe(true);
  });
});
