/**
 * The avatar uploader's state machine: one discriminated union of steps and a pure reducer over it. The
 * component performs the effects (decode, compress, upload, release the decoded pixels) and reports each
 * outcome as an event; what to show is read from the state alone.
 */
import { type Crop, centeredSquare } from "./upload/geometry";
import type { Phase } from "./upload/flow";
import type { UploadError } from "./upload/errors";
import { type Policy, formatBytes } from "./upload/policy";
import type { Prepared, Source } from "./upload/prepare";

/** The chosen photo: its decoded source, the crop (none for a HEIC sent as it is), the file last prepared from it. */
export interface Photo {
  source: Source;
  crop: Crop | null;
  /** Dropped when the crop changes, so a retry prepares the file again. */
  prepared: Prepared | null;
}

export type Step =
  | { kind: "idle" }
  | { kind: "reading" }
  | { kind: "ready"; photo: Photo; notice: string | null }
  | { kind: "compressing"; photo: Photo }
  | { kind: "sending"; phase: Phase; photo: Photo; progress: number }
  // The photo is gone (its pixels released); what was sent stays for the size line.
  // `review`: uploaded but held for moderation (the live picture stays until a reviewer approves).
  | { kind: "done"; prepared: Prepared | null; progress: number; review: boolean }
  | { kind: "failed"; error: UploadError; photo: Photo | null; progress: number };

export interface UploaderState {
  step: Step;
  /** The server's rules; null until they arrive (they are fetched again before compressing). */
  policy: Policy | null;
  /** A file is being dragged over the drop zone. */
  dragging: boolean;
}

export type UploaderEvent =
  | { type: "policy"; policy: Policy | null }
  | { type: "drag"; over: boolean }
  | { type: "read" }
  | { type: "decoded"; source: Source }
  | { type: "crop"; crop: Crop }
  | { type: "compress" }
  | { type: "send"; prepared: Prepared }
  | { type: "phase"; phase: Phase }
  | { type: "progress"; fraction: number }
  | { type: "uploaded"; review?: boolean }
  | { type: "cancelled" }
  | { type: "failed"; error: UploadError };

export const INITIAL: UploaderState = { step: { kind: "idle" }, policy: null, dragging: false };

export const CANCELLED_NOTICE = "Upload cancelled. Your picture is still here when you want to try again.";
export const DONE_NOTICE = "Your new profile picture is up.";
export const REVIEW_NOTICE =
  "Uploaded, waiting for review. Until it's approved, others still see your previous picture (or none).";

export function photoOf(step: Step): Photo | null {
  return "photo" in step ? step.photo : null;
}

function progressOf(step: Step): number {
  return "progress" in step ? step.progress : 0;
}

/** While the uploader works, a new photo cannot be chosen. */
export function isBusy(step: Step): boolean {
  return step.kind === "reading" || step.kind === "compressing" || step.kind === "sending";
}

function withStep(state: UploaderState, step: Step): UploaderState {
  return { ...state, step };
}

export function uploaderReducer(state: UploaderState, event: UploaderEvent): UploaderState {
  const { step } = state;
  const photo = photoOf(step);
  switch (event.type) {
    case "policy":
      return { ...state, policy: event.policy };
    case "drag":
      return { ...state, dragging: event.over };
    case "read":
      return isBusy(step) ? state : withStep(state, { kind: "reading" });
    case "decoded": {
      const crop = event.source.kind === "decoded" ? centeredSquare(event.source.size) : null;
      return withStep(state, { kind: "ready", photo: { source: event.source, crop, prepared: null }, notice: null });
    }
    case "crop":
      if (!("photo" in step) || step.photo === null) return state;
      return withStep(state, { ...step, photo: { ...step.photo, crop: event.crop, prepared: null } });
    case "compress":
      return photo ? withStep(state, { kind: "compressing", photo }) : state;
    case "send":
      return photo
        ? withStep(state, {
            kind: "sending",
            phase: "signing",
            photo: { ...photo, prepared: event.prepared },
            progress: 0,
          })
        : state;
    case "phase":
      return step.kind === "sending" ? withStep(state, { ...step, phase: event.phase }) : state;
    case "progress":
      return step.kind === "sending" ? withStep(state, { ...step, progress: Math.round(event.fraction * 100) }) : state;
    case "uploaded":
      return step.kind === "sending"
        ? withStep(state, {
            kind: "done",
            prepared: step.photo.prepared,
            progress: step.progress,
            review: event.review === true,
          })
        : state;
    case "cancelled":
      return photo ? withStep(state, { kind: "ready", photo, notice: CANCELLED_NOTICE }) : state;
    case "failed":
      return withStep(state, { kind: "failed", error: event.error, photo, progress: progressOf(step) });
  }
}

/** The one status line under the drop zone. */
export function statusText(step: Step): string {
  switch (step.kind) {
    case "reading":
      return "Reading your photo…";
    case "compressing":
      return "Shrinking your photo for a fast upload…";
    case "sending":
      if (step.phase === "signing") return "Getting ready to upload…";
      if (step.phase === "uploading") return `Uploading… ${step.progress}%`;
      return "Uploaded. Finishing up…";
    case "ready":
      return step.notice ?? "";
    case "done":
      return step.review ? REVIEW_NOTICE : DONE_NOTICE;
    case "idle":
    case "failed":
      return "";
  }
}

/** The progress bar shows while sending, after success, and after a failure that happened mid-upload. */
export function progressShown(step: Step): number | null {
  if (step.kind === "sending" || step.kind === "done") return step.progress;
  if (step.kind === "failed" && step.progress > 0) return step.progress;
  return null;
}

/** What the action buttons offer. */
export function actions(step: Step): { start: boolean; cancel: boolean; retry: boolean } {
  const failed = step.kind === "failed" && step.photo !== null;
  return {
    start: step.kind === "ready" || (failed && step.photo?.prepared === null && !step.error.retryable),
    cancel: step.kind === "sending",
    retry: failed && step.error.retryable,
  };
}

/** "3.2 MB → 410 KB (87% smaller)". */
export function savings(prepared: Prepared): string {
  const saved = prepared.originalBytes - prepared.blob.size;
  const from = formatBytes(prepared.originalBytes);
  const to = formatBytes(prepared.blob.size);
  if (saved <= 0) return to;
  return `${from} → ${to} (${Math.round((saved / prepared.originalBytes) * 100)}% smaller)`;
}
