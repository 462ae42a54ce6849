import { describe, expect, it } from "vitest";
import { UploadError } from "./upload/errors";
import type { Prepared, Source } from "./upload/prepare";
import {
  CANCELLED_NOTICE,
  INITIAL,
  REVIEW_NOTICE,
  type UploaderEvent,
  type UploaderState,
  actions,
  isBusy,
  progressShown,
  savings,
  statusText,
  uploaderReducer,
} from "./uploaderState";

// The reducer never looks inside a source's bitmap: a stand-in object is enough.
const decoded = {
  kind: "decoded",
  file: new File(["x"], "a.jpg"),
  format: "jpeg",
  bitmap: {} as ImageBitmap,
  orientation: 1,
  size: { width: 400, height: 300 },
  previewUrl: "blob:preview",
} satisfies Source;
const heic: Source = { kind: "passthrough", file: new File(["x"], "a.heic"), format: "heic" };
const prepared: Prepared = {
  blob: new Blob(["y"]),
  filename: "avatar.webp",
  format: "webp",
  width: 300,
  height: 300,
  originalBytes: 4000,
};

const run = (...events: UploaderEvent[]): UploaderState => events.reduce(uploaderReducer, INITIAL);
const ready = (source: Source = decoded) => run({ type: "read" }, { type: "decoded", source });

describe("uploaderReducer", () => {
  it("reads a photo into a centred square crop, ready to upload", () => {
    expect(run({ type: "read" }).step).toEqual({ kind: "reading" });
    const { step } = ready();
    expect(step).toEqual({
      kind: "ready",
      photo: { source: decoded, crop: { x: 50, y: 0, size: 300 }, prepared: null },
      notice: null,
    });
    expect(statusText(step)).toBe("");
    expect(actions(step)).toEqual({ start: true, cancel: false, retry: false });
  });

  it("has no crop for a HEIC sent as it is", () => {
    const { step } = ready(heic);
    expect(step.kind === "ready" && step.photo.crop).toBeNull();
  });

  it("ignores a new photo while busy", () => {
    const compressing = uploaderReducer(ready(), { type: "compress" });
    expect(isBusy(compressing.step)).toBe(true);
    expect(uploaderReducer(compressing, { type: "read" })).toBe(compressing);
  });

  it("walks compress, sign, upload with progress, confirm, done", () => {
    let state = uploaderReducer(ready(), { type: "compress" });
    expect(statusText(state.step)).toBe("Shrinking your photo for a fast upload…");
    state = uploaderReducer(state, { type: "send", prepared });
    expect(statusText(state.step)).toBe("Getting ready to upload…");
    expect(progressShown(state.step)).toBe(0);
    state = uploaderReducer(state, { type: "phase", phase: "uploading" });
    state = uploaderReducer(state, { type: "progress", fraction: 0.426 });
    expect(statusText(state.step)).toBe("Uploading… 43%");
    expect(actions(state.step)).toEqual({ start: false, cancel: true, retry: false });
    state = uploaderReducer(state, { type: "phase", phase: "confirming" });
    expect(statusText(state.step)).toBe("Uploaded. Finishing up…");
    state = uploaderReducer(state, { type: "progress", fraction: 1 });
    state = uploaderReducer(state, { type: "uploaded" });
    expect(state.step).toEqual({ kind: "done", prepared, progress: 100, review: false });
    expect(statusText(state.step)).toBe("Your new profile picture is up.");
    expect(actions(state.step)).toEqual({ start: false, cancel: false, retry: false });
  });

  it("ends an upload held for moderation as done, waiting for review, with nothing left to do", () => {
    const state = run(
      { type: "read" },
      { type: "decoded", source: decoded },
      { type: "compress" },
      { type: "send", prepared },
      { type: "phase", phase: "confirming" },
      { type: "progress", fraction: 1 },
      { type: "uploaded", review: true },
    );
    expect(state.step).toEqual({ kind: "done", prepared, progress: 100, review: true });
    expect(statusText(state.step)).toBe(REVIEW_NOTICE);
    expect(statusText(state.step)).toMatch(/^Uploaded, waiting for review\./);
    expect(statusText(state.step)).toContain("others still see your previous picture");
    expect(actions(state.step)).toEqual({ start: false, cancel: false, retry: false });
    expect(isBusy(state.step)).toBe(false);
    expect(progressShown(state.step)).toBe(100);
  });

  it("keeps the photo and the prepared file when cancelled", () => {
    const sending = run(
      { type: "read" },
      { type: "decoded", source: decoded },
      { type: "compress" },
      { type: "send", prepared },
    );
    const { step } = uploaderReducer(sending, { type: "cancelled" });
    expect(step.kind === "ready" && step.photo.prepared).toBe(prepared);
    expect(statusText(step)).toBe(CANCELLED_NOTICE);
  });

  it("offers a retry for a retryable failure mid-upload, with the progress reached", () => {
    const state = run(
      { type: "read" },
      { type: "decoded", source: decoded },
      { type: "compress" },
      { type: "send", prepared },
      { type: "phase", phase: "uploading" },
      { type: "progress", fraction: 0.5 },
      { type: "failed", error: new UploadError("network") },
    );
    expect(state.step.kind).toBe("failed");
    expect(progressShown(state.step)).toBe(50);
    expect(actions(state.step)).toEqual({ start: false, cancel: false, retry: true });
  });

  it("offers a fresh start, not a retry, when the photo itself was refused and the crop changed", () => {
    let state = run(
      { type: "read" },
      { type: "decoded", source: decoded },
      { type: "compress" },
      { type: "send", prepared },
    );
    state = uploaderReducer(state, { type: "failed", error: new UploadError("rejected", "too small") });
    expect(actions(state.step).start).toBe(false);
    state = uploaderReducer(state, { type: "crop", crop: { x: 0, y: 0, size: 200 } });
    expect(state.step.kind === "failed" && state.step.photo).toEqual({
      source: decoded,
      crop: { x: 0, y: 0, size: 200 },
      prepared: null,
    });
    expect(actions(state.step).start).toBe(true);
    expect(progressShown(state.step)).toBeNull();
  });

  it("fails a photo that cannot be read with nothing to retry", () => {
    const state = run({ type: "read" }, { type: "failed", error: new UploadError("not-image") });
    expect(state.step).toMatchObject({ kind: "failed", photo: null, progress: 0 });
    expect(actions(state.step)).toEqual({ start: false, cancel: false, retry: false });
  });

  it("ignores events that do not fit the current step", () => {
    expect(uploaderReducer(INITIAL, { type: "compress" })).toBe(INITIAL);
    expect(uploaderReducer(INITIAL, { type: "uploaded" })).toBe(INITIAL);
    const idle = uploaderReducer(INITIAL, { type: "progress", fraction: 0.5 });
    expect(idle).toBe(INITIAL);
  });

  it("keeps the drag highlight and the policy beside the step", () => {
    const state = run({ type: "drag", over: true }, { type: "read" });
    expect(state.dragging).toBe(true);
    expect(state.step.kind).toBe("reading");
  });
});

describe("savings", () => {
  it("says how much smaller the file got", () => {
    expect(
      savings({ ...prepared, originalBytes: 4 * 1024 * 1024, blob: new Blob([new Uint8Array(1024 * 1024)]) }),
    ).toBe("4.0 MB → 1.0 MB (75% smaller)");
    expect(savings({ ...prepared, originalBytes: 1 })).toBe("1 B");
  });
});
