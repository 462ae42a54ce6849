/** The server's avatar rules (`GET /profiles/me/avatar/policy`), checked against the compressed file. */
import type { AvatarPolicy } from "../../../api/types";
import { UploadError } from "./errors";
import { MAX_EDGE } from "./geometry";

/** Limits a candidate file is checked against; null is no limit. */
export interface Policy {
  /** Lower-case extensions Cloudinary accepts (`jpg`, `png`, `webp`, `heic`, ...). */
  formats: string[];
  maxBytes: number | null;
  maxWidth: number | null;
  maxHeight: number | null;
  minWidth: number | null;
  minHeight: number | null;
  /** The long side the service wants pictures downscaled to before they are sent (`upload_long_edge`). */
  uploadLongEdge: number;
}

export interface Candidate {
  bytes: number;
  /** Extension-style format of what will be sent (`webp`, `jpg`, `heic`). */
  format: string;
  /** Unknown for a file sent as-is that the browser cannot decode. */
  width: number | null;
  height: number | null;
}

/** `jpeg` and `jpg` are one format; HEIF is HEIC's container name. */
export function canonicalFormat(format: string): string {
  const f = format
    .toLowerCase()
    .replace(/^image\//, "")
    .replace(/^\./, "");
  if (f === "jpeg") return "jpg";
  if (f === "heif") return "heic";
  return f;
}

/** The service's policy in the terms the checks use: canonical formats, one limit per side. */
export function policyFrom(raw: AvatarPolicy): Policy {
  return {
    formats: [...new Set(raw.formats.map((f) => canonicalFormat(f.trim())))],
    maxBytes: raw.max_bytes,
    maxWidth: raw.max_dimension,
    maxHeight: raw.max_dimension,
    minWidth: raw.min_dimension,
    minHeight: raw.min_dimension,
    // A service older than this app (a rolling deploy) publishes no `upload_long_edge`: send what it was built for.
    uploadLongEdge:
      Number.isInteger(raw.upload_long_edge) && raw.upload_long_edge > 0 ? raw.upload_long_edge : MAX_EDGE,
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The first rule the candidate breaks, as an UploadError; null when it passes. */
export function checkPolicy(candidate: Candidate, policy: Policy): UploadError | null {
  const format = canonicalFormat(candidate.format);
  if (policy.formats.length > 0 && !policy.formats.includes(format)) {
    return new UploadError("unsupported-format", `${format.toUpperCase()} is not accepted`);
  }
  if (policy.maxBytes !== null && candidate.bytes > policy.maxBytes) {
    return new UploadError(
      "too-large",
      `${formatBytes(candidate.bytes)}; the limit is ${formatBytes(policy.maxBytes)}`,
    );
  }
  const { width, height } = candidate;
  if (width !== null && height !== null) {
    if (
      (policy.maxWidth !== null && width > policy.maxWidth) ||
      (policy.maxHeight !== null && height > policy.maxHeight)
    ) {
      return new UploadError(
        "too-large",
        `${width}×${height} pixels; the limit is ${policy.maxWidth ?? "any"}×${policy.maxHeight ?? "any"}`,
      );
    }
    if (
      (policy.minWidth !== null && width < policy.minWidth) ||
      (policy.minHeight !== null && height < policy.minHeight)
    ) {
      return new UploadError(
        "too-small",
        `${width}×${height} pixels; at least ${policy.minWidth ?? 1}×${policy.minHeight ?? 1} needed`,
      );
    }
  }
  return null;
}

/** The long side to downscale to: the service's `upload_long_edge`, never beyond the largest side it accepts. */
export function uploadEdge(policy: Policy): number {
  const edge = policy.uploadLongEdge;
  return Math.min(edge, policy.maxWidth ?? edge, policy.maxHeight ?? edge);
}
