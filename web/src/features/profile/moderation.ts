/**
 * What the owner is told about moderation: a picture held for review (`pending_avatar`, shown only to them)
 * and the latest decision against their picture (`moderation_notice`: a rejected upload or a take-down).
 */
import type { ModerationNotice, Profile } from "../../api/types";

export const UNDER_REVIEW = "Under review";

/** Below the pending picture: who sees what until a reviewer decides. */
export function pendingCaption(hasLivePicture: boolean): string {
  return hasLivePicture
    ? "Only you can see this one. Until it's approved, others still see your current picture."
    : "Only you can see this one. Until it's approved, others see no picture.";
}

/** A reason in a sentence: trimmed, ending in a full stop (a reviewer's text may or may not have one). */
function sentence(reason: string): string {
  const text = reason.trim();
  if (!text) return "";
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The message after a rejection or a take-down, with the reason given. */
export function noticeMessage(notice: Pick<ModerationNotice, "kind" | "reason">): string {
  const reason = sentence(notice.reason);
  const why = reason ? ` Reason: ${reason}` : "";
  if (notice.kind === "taken_down") {
    return `Your profile picture was taken down by a moderator.${why} Others now see no picture. You can upload a new one.`;
  }
  return `Your new profile picture wasn't approved.${why} Others still see your previous picture, if you had one. You can upload a different one.`;
}

/** Whether the page has anything about moderation to show the owner. */
export function moderationShown(profile: Pick<Profile, "pending_avatar" | "moderation_notice"> | null): {
  pending: boolean;
  notice: boolean;
} {
  return { pending: Boolean(profile?.pending_avatar), notice: Boolean(profile?.moderation_notice) };
}
