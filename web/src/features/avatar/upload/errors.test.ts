import { describe, expect, it } from "vitest";
import { UploadError, classifyUploadFailure, cloudinaryMessage, messageFor, quotaError } from "./errors";

describe("classifyUploadFailure", () => {
  it.each([
    [0, null, "network"],
    [400, "Stale request - reported time is 2024-01-01 00:00:00 +0000 which is more than 1 hour ago", "expired"],
    [401, "Stale request - reported time is ...", "expired"],
    [400, "File size too large. Got 22233197. Maximum is 10485760.", "too-large"],
    [413, "Request entity too large", "too-large"],
    [400, "Image file format bmp not allowed", "unsupported-format"],
    [400, "Invalid image file", "not-image"],
    [401, "Invalid Signature 0123. String to sign - 'public_id=x&timestamp=1'.", "rejected"],
    [500, "Internal error", "server"],
    [420, "Rate Limit Exceeded", "server"],
  ] as const)("status %i %s → %s", (status, message, kind) => {
    expect(classifyUploadFailure(status, message)).toBe(kind);
  });
});

describe("cloudinaryMessage", () => {
  it("reads error.message from the JSON body", () => {
    expect(cloudinaryMessage('{"error":{"message":"Invalid image file"}}', "other")).toBe("Invalid image file");
  });

  it("falls back to X-Cld-Error", () => {
    expect(cloudinaryMessage("<html>bad gateway</html>", "Invalid image file")).toBe("Invalid image file");
    expect(cloudinaryMessage("", null)).toBeNull();
  });
});

describe("messages", () => {
  it("speaks plainly for every kind, without codes", () => {
    expect(messageFor("not-image")).toMatch(/isn't a picture/);
    expect(messageFor("too-large", "12 MB")).toContain("12 MB");
    expect(messageFor("unsupported-format", "TIFF")).toContain("TIFF");
    expect(messageFor("network")).toMatch(/connection/);
    expect(messageFor("expired")).toMatch(/expired/);
    expect(messageFor("rejected", "too many pixels")).toContain("too many pixels");
  });

  it("says how long to wait when a signing quota is spent", () => {
    expect(quotaError(720).message).toBe("Too many uploads right now. Try again in 12 minutes.");
    expect(quotaError(40).message).toBe("Too many uploads right now. Try again in 40 seconds.");
    expect(quotaError(3600).message).toBe("Too many uploads right now. Try again in 1 hour.");
    expect(quotaError(null).message).toBe("Too many uploads right now. Try again in a moment.");
    expect(quotaError(60).retryable).toBe(true); // the same file can go once the wait is over
    expect(quotaError(40).retryAfter).toBe(40); // the uploader counts it down
    expect(quotaError(null).retryAfter).toBeNull();
  });

  it("says which failures a retry can fix", () => {
    expect(new UploadError("network").retryable).toBe(true);
    expect(new UploadError("expired").retryable).toBe(true);
    expect(new UploadError("not-image").retryable).toBe(false);
    expect(new UploadError("rejected").retryable).toBe(false);
  });
});
