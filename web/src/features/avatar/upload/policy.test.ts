import { describe, expect, it } from "vitest";
import type { AvatarPolicy } from "../../../api/types";
import { MAX_EDGE } from "./geometry";
import { type Policy, canonicalFormat, checkPolicy, formatBytes, policyFrom, uploadEdge } from "./policy";

const limits = (overrides: Partial<Policy>): Policy => ({
  formats: [],
  maxBytes: null,
  maxWidth: null,
  maxHeight: null,
  minWidth: null,
  minHeight: null,
  uploadLongEdge: 1024,
  ...overrides,
});

const policy = limits({
  formats: ["jpg", "png", "webp", "heic"],
  maxBytes: 10 * 1024 * 1024,
  maxWidth: 4096,
  maxHeight: 4096,
});

describe("policyFrom", () => {
  const raw: AvatarPolicy = {
    formats: ["JPEG", "jpg", "png", "heif"],
    max_bytes: 5_000_000,
    max_dimension: 2000,
    min_dimension: 64,
    sizes: [64, 128],
    upload_ttl_seconds: 600,
    max_open_uploads: 5,
    max_uploads_per_hour: 30,
    upload_long_edge: 256,
  };

  it("reads the service's policy: canonical formats, one limit for both sides, the edge to send", () => {
    expect(policyFrom(raw)).toEqual({
      formats: ["jpg", "png", "heic"],
      maxBytes: 5_000_000,
      maxWidth: 2000,
      maxHeight: 2000,
      minWidth: 64,
      minHeight: 64,
      uploadLongEdge: 256,
    });
  });

  it("sends the old 2048 px when a service older than the app publishes no upload edge", () => {
    const older = { ...raw } as Partial<AvatarPolicy>;
    delete older.upload_long_edge;
    expect(policyFrom(older as AvatarPolicy).uploadLongEdge).toBe(MAX_EDGE);
    expect(policyFrom({ ...raw, upload_long_edge: 0 }).uploadLongEdge).toBe(MAX_EDGE);
  });
});

describe("checkPolicy", () => {
  it("accepts a large phone photo once it has been compressed (the check runs on the result)", () => {
    const original = { bytes: 14 * 1024 * 1024, format: "jpg", width: 4000, height: 3000 };
    const compressed = { bytes: 250 * 1024, format: "webp", width: 1024, height: 1024 };
    expect(checkPolicy(original, policy)?.kind).toBe("too-large");
    expect(checkPolicy(compressed, policy)).toBeNull();
  });

  it("refuses a format the server does not list, with the format in the message", () => {
    const error = checkPolicy({ bytes: 10, format: "image/gif", width: 1, height: 1 }, policy);
    expect(error?.kind).toBe("unsupported-format");
    expect(error?.message).toContain("GIF");
  });

  it("refuses too many pixels and too few", () => {
    expect(checkPolicy({ bytes: 10, format: "png", width: 5000, height: 10 }, policy)?.kind).toBe("too-large");
    const strict = limits({ minWidth: 100, minHeight: 100 });
    expect(checkPolicy({ bytes: 10, format: "png", width: 50, height: 500 }, strict)?.kind).toBe("too-small");
  });

  it("checks only bytes and format when the size is unknown (HEIC sent as it is)", () => {
    expect(checkPolicy({ bytes: 1000, format: "heif", width: null, height: null }, policy)).toBeNull();
    expect(
      checkPolicy({ bytes: 11 * 1024 * 1024, format: "heic", width: null, height: null }, policy)?.message,
    ).toContain("the limit is 10.0 MB");
  });

  it("downscales to the edge the service asks for, never beyond the largest side it accepts", () => {
    expect(uploadEdge(policy)).toBe(1024);
    expect(uploadEdge(limits({ uploadLongEdge: 2048, maxWidth: 4096, maxHeight: 4096 }))).toBe(2048);
    expect(uploadEdge(limits({ uploadLongEdge: 2048, maxWidth: 1024, maxHeight: 1500 }))).toBe(1024);
  });

  it("names formats and sizes the way people read them", () => {
    expect(canonicalFormat("JPEG")).toBe("jpg");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
  });
});
