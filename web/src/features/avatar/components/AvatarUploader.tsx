import { type DragEvent, type KeyboardEvent, useCallback, useEffect, useId, useReducer, useRef } from "react";
import { formatWait } from "../../../api/wait";
import { useCountdown } from "../../../hooks/useCountdown";
import { useSession } from "../../../session";
import { UploadError, messageFor } from "../upload/errors";
import { realClock, uploadAvatar } from "../upload/flow";
import { formatBytes, policyFrom } from "../upload/policy";
import { type Prepared, decodeFile, prepareUpload, release } from "../upload/prepare";
import { xhrTransport } from "../upload/transport";
import {
  INITIAL,
  actions,
  isBusy,
  photoOf,
  progressShown,
  savings,
  statusText,
  uploaderReducer,
} from "../uploaderState";
import { CropEditor } from "./CropEditor";

function asUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error;
  return new UploadError("server", error instanceof Error ? error.message : null);
}

export function AvatarUploader() {
  const { profiles, reloadProfile } = useSession();
  const [{ step, policy, dragging }, dispatch] = useReducer(uploaderReducer, INITIAL);
  const input = useRef<HTMLInputElement>(null);
  const controller = useRef<AbortController | null>(null);
  const hintId = useId();
  // A spent signing quota: its wait counts down in the message, and "Try again" waits for 0.
  const wait = useCountdown();
  const photo = photoOf(step);
  const source = photo?.source ?? null;
  const busy = isBusy(step);

  useEffect(() => {
    profiles
      .policy()
      .then((raw) => dispatch({ type: "policy", policy: policyFrom(raw) }))
      .catch(() => dispatch({ type: "policy", policy: null }));
  }, [profiles]);

  // The decoded pixels and the preview URL are freed as soon as the photo is replaced, sent or left behind.
  useEffect(() => () => release(source), [source]);
  useEffect(() => () => controller.current?.abort(), []);

  const choose = useCallback(
    async (file: File | null | undefined) => {
      if (!file || busy) return;
      dispatch({ type: "read" });
      try {
        dispatch({ type: "decoded", source: await decodeFile(file) });
      } catch (e) {
        dispatch({ type: "failed", error: asUploadError(e) });
      }
    },
    [busy],
  );

  // Paste a picture anywhere on the page while this control is shown.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/") || f.name);
      if (file) {
        event.preventDefault();
        void choose(file);
      }
    };
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("paste", onPaste);
    };
  }, [choose]);

  const send = async (ready: Prepared) => {
    const abort = new AbortController();
    controller.current = abort;
    dispatch({ type: "send", prepared: ready });
    try {
      const outcome = await uploadAvatar(profiles, xhrTransport(), realClock, {
        file: ready.blob,
        filename: ready.filename,
        signal: abort.signal,
        onPhase: (phase) => {
          dispatch({ type: "phase", phase });
        },
        onProgress: (fraction) => {
          dispatch({ type: "progress", fraction });
        },
      });
      // Under review, the reloaded profile carries the upload as `pending_avatar` (the page shows it).
      await reloadProfile();
      dispatch({ type: "uploaded", review: outcome.underReview });
    } catch (e) {
      const failure = asUploadError(e);
      if (failure.kind === "quota" && failure.retryAfter !== null) wait.start(failure.retryAfter);
      dispatch(failure.kind === "cancelled" ? { type: "cancelled" } : { type: "failed", error: failure });
    } finally {
      controller.current = null;
    }
  };

  const start = async () => {
    if (!photo) return;
    dispatch({ type: "compress" });
    try {
      const rules = policy ?? policyFrom(await profiles.policy());
      await send(await prepareUpload(photo.source, photo.crop, rules));
    } catch (e) {
      dispatch({ type: "failed", error: asUploadError(e) });
    }
  };

  const retry = () => (photo?.prepared ? send(photo.prepared) : start());

  const openPicker = () => {
    if (!busy) input.current?.click();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openPicker();
    }
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    dispatch({ type: "drag", over: false });
    void choose(event.dataTransfer.files[0]);
  };

  const progress = progressShown(step);
  const prepared = step.kind === "done" ? step.prepared : (photo?.prepared ?? null);
  const offer = actions(step);
  const error = step.kind === "failed" ? step.error : null;
  const errorText =
    error?.kind === "quota" && error.retryAfter !== null && error.retryAfter > 0
      ? wait.remaining > 0
        ? messageFor("quota", formatWait(wait.remaining))
        : "The wait is over: you can try the upload again now."
      : error?.message;

  return (
    <div className="uploader">
      <div
        className={`dropzone${dragging ? " dropzone-active" : ""}${busy ? " dropzone-busy" : ""}`}
        role="button"
        tabIndex={busy ? -1 : 0}
        aria-disabled={busy || undefined}
        aria-describedby={hintId}
        onClick={openPicker}
        onKeyDown={onKeyDown}
        onDragEnter={(e) => {
          e.preventDefault();
          dispatch({ type: "drag", over: true });
        }}
        onDragOver={(e) => {
          e.preventDefault();
        }}
        onDragLeave={() => {
          dispatch({ type: "drag", over: false });
        }}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <span className="dropzone-icon" aria-hidden="true">
          ⬆
        </span>
        <span className="dropzone-title">{source ? "Choose a different photo" : "Choose a photo"}</span>
        <span className="dropzone-hint" id={hintId}>
          Drop it here, paste it, or press Enter to browse. JPEG, PNG, WebP or HEIC
          {policy?.maxBytes ? `, up to ${formatBytes(policy.maxBytes)} after shrinking` : ""}.
        </span>
      </div>
      <input
        ref={input}
        type="file"
        accept="image/*,.heic,.heif"
        hidden
        data-testid="avatar-file"
        onChange={(e) => {
          void choose(e.target.files?.[0]);
          e.target.value = "";
        }}
      />

      {source?.kind === "decoded" && photo?.crop && (
        <CropEditor
          previewUrl={source.previewUrl}
          size={source.size}
          crop={photo.crop}
          onChange={(crop) => {
            dispatch({ type: "crop", crop });
          }}
        />
      )}
      {source?.kind === "passthrough" && (
        <p className="alert alert-info" data-testid="heic-note">
          This is a HEIC photo that your browser can't show, so there is no preview. We'll send it as it is (
          {formatBytes(source.file.size)}) and the server will convert it.
        </p>
      )}

      {progress !== null && (
        <div className="progress">
          <progress
            max={100}
            value={progress}
            aria-label="Upload progress"
            data-testid="upload-progress"
            data-progress={progress}
          />
          {prepared && (
            <p className="muted progress-detail" data-testid="savings">
              {savings(prepared)}
              {prepared.width ? ` · ${prepared.width}×${prepared.height}` : ""}
            </p>
          )}
        </div>
      )}

      <p className="status-line" role="status" aria-live="polite" data-testid="upload-status">
        {statusText(step)}
      </p>
      {error && (
        <p className="alert alert-error" role="alert" data-testid="upload-error">
          {errorText}
        </p>
      )}

      <div className="actions">
        {offer.start && (
          <button type="button" className="button" onClick={() => void start()} data-testid="upload-start">
            Upload photo
          </button>
        )}
        {offer.cancel && (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              controller.current?.abort();
            }}
          >
            Cancel upload
          </button>
        )}
        {offer.retry && (
          <button
            type="button"
            className="button"
            onClick={() => void retry()}
            disabled={wait.remaining > 0}
            data-testid="upload-retry"
          >
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
