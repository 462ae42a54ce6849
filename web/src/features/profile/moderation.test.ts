import { describe, expect, it } from "vitest";
import { moderationShown, noticeMessage, pendingCaption } from "./moderation";

describe("the owner's moderation messages", () => {
  it("says a rejection, with the reviewer's reason as a sentence, and that others keep the old picture", () => {
    const message = noticeMessage({ kind: "rejected", reason: "Not a photo of a person" });
    expect(message).toContain("wasn't approved");
    expect(message).toContain("Reason: Not a photo of a person.");
    expect(message).toContain("Others still see your previous picture");
  });

  it("says a take-down, keeping a reason that already ends a sentence", () => {
    const message = noticeMessage({ kind: "taken_down", reason: "Offensive!" });
    expect(message).toContain("taken down by a moderator");
    expect(message).toContain("Reason: Offensive!");
    expect(message).not.toContain("Offensive!.");
    expect(message).toContain("Others now see no picture");
  });

  it("leaves out an empty reason", () => {
    expect(noticeMessage({ kind: "rejected", reason: "  " })).not.toContain("Reason");
  });

  it("tells the owner who sees what while the picture is under review", () => {
    expect(pendingCaption(true)).toContain("others still see your current picture");
    expect(pendingCaption(false)).toContain("others see no picture");
  });

  it("shows the pending picture and the notice only when the profile has them", () => {
    expect(moderationShown(null)).toEqual({ pending: false, notice: false });
    expect(moderationShown({ pending_avatar: null, moderation_notice: null })).toEqual({
      pending: false,
      notice: false,
    });
    expect(
      moderationShown({
        pending_avatar: {
          upload_id: "u",
          status: "pending",
          secure_url: "s",
          version: 1,
          width: 1,
          height: 1,
          variants: {},
          uploaded_at: "2030-01-01T00:00:00Z",
        },
        moderation_notice: { kind: "rejected", reason: "r", at: "2030-01-01T00:00:00Z", upload_id: "u" },
      }),
    ).toEqual({ pending: true, notice: true });
  });
});
