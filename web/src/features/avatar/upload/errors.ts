/** Every way an upload can fail, and what we tell a person about it. */
import { formatWait } from "../../../api/wait";

export type UploadErrorKind =
  | "not-image"
  | "too-large"
  | "too-small"
  | "unsupported-format"
  | "network"
  | "expired"
  | "rejected"
  | "timeout"
  | "cancelled"
  | "quota"
  | "server";

export class UploadError extends Error {
  constructor(
    readonly kind: UploadErrorKind,
    readonly detail: string | null = null,
    /** A spent quota's wait in seconds (the 429's Retry-After), for the countdown; null when not said. */
    readonly retryAfter: number | null = null,
  ) {
    super(messageFor(kind, detail));
    this.name = "UploadError";
  }

  /** Whether trying the same file again can help. */
  get retryable(): boolean {
    // A spent signing quota frees up after the wait the message names: the same file can go then.
    return ["network", "expired", "timeout", "server", "cancelled", "quota"].includes(this.kind);
  }
}

/** The signing quota is spent: `retryAfter` (seconds, from the 429's Retry-After) becomes the wait in words. */
export function quotaError(retryAfter: number | null): UploadError {
  return new UploadError("quota", formatWait(retryAfter), retryAfter);
}

export function messageFor(kind: UploadErrorKind, detail: string | null = null): string {
  switch (kind) {
    case "not-image":
      return "That file isn't a picture we can read. Choose a photo (JPEG, PNG, WebP or HEIC).";
    case "too-large":
      return `That picture is too big${detail ? ` (${detail})` : ""}, even after shrinking it. Try a smaller photo.`;
    case "too-small":
      return `That picture is too small${detail ? ` (${detail})` : ""}. Choose a larger photo.`;
    case "unsupported-format":
      return `We can't use this kind of picture${detail ? ` (${detail})` : ""}. Try a JPEG, PNG or WebP.`;
    case "network":
      return "The upload was interrupted: we couldn't reach the server. Check your connection and try again.";
    case "expired":
      return "The upload permission expired before the picture arrived. Please try again.";
    case "rejected":
      return `The picture was refused by the server's rules${detail ? `: ${detail}` : ""}. Try a different photo.`;
    case "timeout":
      return "The picture was uploaded, but the server hasn't confirmed it yet. Try again in a moment.";
    case "cancelled":
      return "Upload cancelled.";
    case "quota":
      return `Too many uploads right now. Try again ${detail ?? "in a moment"}.`;
    case "server":
      return `Something went wrong on our side${detail ? ` (${detail})` : ""}. Please try again.`;
  }
}

/**
 * Map a Cloudinary upload error (HTTP status plus `error.message` or `X-Cld-Error`) to a kind.
 * Status 0 is what XHR reports when no answer arrived at all.
 */
export function classifyUploadFailure(status: number, message: string | null): UploadErrorKind {
  const text = (message ?? "").toLowerCase();
  if (status === 0) return "network";
  if (text.includes("stale request") || text.includes("expired")) return "expired";
  if (text.includes("file size too large") || status === 413) return "too-large";
  if (text.includes("format") && text.includes("not allowed")) return "unsupported-format";
  if (text.includes("invalid image file") || text.includes("unsupported image")) return "not-image";
  if (status >= 500 || status === 420 || status === 429) return "server";
  if (status === 401 || status === 403) return "rejected";
  return "rejected";
}

/** Read `{"error": {"message"}}`, falling back to the `X-Cld-Error` header. */
export function cloudinaryMessage(body: string, header: string | null): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = parsed.error;
      if (typeof error === "object" && error !== null && "message" in error) {
        const message = error.message;
        if (typeof message === "string") return message;
      }
    }
  } catch {
    // not JSON: fall back to the header
  }
  return header;
}
