import { type DragEvent, type KeyboardEvent, useCallback, useEffect, useId, useRef, useState } from "react";
import { useSession } from "../../../session";
import { UploadError } from "../upload/errors";
import { type Phase, realClock, uploadAvatar } from "../upload/flow";
import { type Crop, centeredSquare } from "../upload/geometry";
import { type Policy, formatBytes, normalizePolicy } from "../upload/policy";
import { type Prepared, type Source, decodeFile, prepareUpload, release } from "../upload/prepare";
import { xhrTransport } from "../upload/transport";
import { CropEditor } from "./CropEditor";

type Step = "idle" | "reading" | "ready" | "compressing" | Phase | "done" | "error";

const BUSY: Step[] = ["reading", "compressing", "signing", "uploading", "confirming"];

function asUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error;
  return new UploadError("server", error instanceof Error ? error.message : null);
}

export function savings(prepared: Prepared): string {
  const saved = prepared.originalBytes - prepared.blob.size;
  const from = formatBytes(prepared.originalBytes);
  const to = formatBytes(prepared.blob.size);
  if (saved <= 0) return `${to}`;
  return `${from} → ${to} (${Math.round((saved / prepared.originalBytes) * 100)}% smaller)`;
}

export function AvatarUploader() {
  const { profiles, reloadProfile } = useSession();
  const [step, setStep] = useState<Step>("idle");
  const [source, setSource] = useState<Source | null>(null);
  const [crop, setCrop] = useState<Crop | null>(null);
  const [prepared, setPrepared] = useState<Prepared | null>(null);
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<UploadError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [policy, setPolicy] = useState<Policy | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const controller = useRef<AbortController | null>(null);
  const sourceRef = useRef<Source | null>(null);
  const hintId = useId();

  useEffect(() => {
    profiles
      .policy()
      .then((raw) => setPolicy(normalizePolicy(raw)))
      .catch(() => setPolicy(null));
  }, [profiles]);

  useEffect(
    () => () => {
      controller.current?.abort();
      release(sourceRef.current);
    },
    [],
  );

  const busy = BUSY.includes(step);

  const choose = useCallback(
    async (file: File | null | undefined) => {
      if (!file || busy) return;
      release(sourceRef.current);
      sourceRef.current = null;
      setSource(null);
      setPrepared(null);
      setError(null);
      setNotice(null);
      setProgress(0);
      setStep("reading");
      try {
        const decoded = await decodeFile(file);
        sourceRef.current = decoded;
        setSource(decoded);
        setCrop(decoded.kind === "decoded" ? centeredSquare(decoded.size) : null);
        setStep("ready");
      } catch (e) {
        setError(asUploadError(e));
        setStep("error");
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
    return () => window.removeEventListener("paste", onPaste);
  }, [choose]);

  const send = async (ready: Prepared) => {
    const abort = new AbortController();
    controller.current = abort;
    setError(null);
    setNotice(null);
    setProgress(0);
    try {
      await uploadAvatar(profiles, xhrTransport(), realClock, {
        file: ready.blob,
        filename: ready.filename,
        signal: abort.signal,
        onPhase: setStep,
        onProgress: (fraction) => setProgress(Math.round(fraction * 100)),
      });
      await reloadProfile();
      // Done with the photo: free the decoded pixels and show the result where it now lives.
      release(sourceRef.current);
      sourceRef.current = null;
      setSource(null);
      setStep("done");
      setNotice("Your new profile picture is up.");
    } catch (e) {
      const failure = asUploadError(e);
      if (failure.kind === "cancelled") {
        setStep("ready");
        setNotice("Upload cancelled. Your picture is still here when you want to try again.");
      } else {
        setError(failure);
        setStep("error");
      }
    } finally {
      controller.current = null;
    }
  };

  const start = async () => {
    if (!source) return;
    setStep("compressing");
    setError(null);
    setNotice(null);
    try {
      const ready = await prepareUpload(source, crop, policy ?? normalizePolicy(await profiles.policy()));
      setPrepared(ready);
      await send(ready);
    } catch (e) {
      setError(asUploadError(e));
      setStep("error");
    }
  };

  const retry = () => (prepared ? send(prepared) : start());

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
    setDragging(false);
    void choose(event.dataTransfer.files[0]);
  };

  const showProgress =
    ["signing", "uploading", "confirming", "done"].includes(step) || (step === "error" && progress > 0);
  const status =
    step === "reading"
      ? "Reading your photo…"
      : step === "compressing"
        ? "Shrinking your photo for a fast upload…"
        : step === "signing"
          ? "Getting ready to upload…"
          : step === "uploading"
            ? `Uploading… ${progress}%`
            : step === "confirming"
              ? "Uploaded. Finishing up…"
              : (notice ?? "");

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
          setDragging(true);
        }}
        onDragOver={(e) => e.preventDefault()}
        onDragLeave={() => setDragging(false)}
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

      {source?.kind === "decoded" && crop && (step === "ready" || step === "error" || busy) && (
        <CropEditor
          previewUrl={source.previewUrl}
          size={source.size}
          crop={crop}
          onChange={(c) => {
            setCrop(c);
            setPrepared(null);
          }}
        />
      )}
      {source?.kind === "passthrough" && (
        <p className="alert alert-info" data-testid="heic-note">
          This is a HEIC photo that your browser can't show, so there is no preview. We'll send it as it is (
          {formatBytes(source.file.size)}) and the server will convert it.
        </p>
      )}

      {showProgress && (
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
        {status}
      </p>
      {error && (
        <p className="alert alert-error" role="alert" data-testid="upload-error">
          {error.message}
        </p>
      )}

      <div className="actions">
        {(step === "ready" || (step === "error" && source && !prepared && !error?.retryable)) && source && (
          <button type="button" className="button" onClick={start} data-testid="upload-start">
            Upload photo
          </button>
        )}
        {["signing", "uploading", "confirming"].includes(step) && (
          <button type="button" className="button button-quiet" onClick={() => controller.current?.abort()}>
            Cancel upload
          </button>
        )}
        {step === "error" && error?.retryable && source && (
          <button type="button" className="button" onClick={retry} data-testid="upload-retry">
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
