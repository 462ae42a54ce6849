/**
 * One avatar upload from signed parameters to a confirmed profile: sign, post straight to Cloudinary
 * (fresh parameters and one retry if they expired), then wait for the webhook by polling the status
 * URL, and past a deadline forward Cloudinary's signed response to the confirm fallback. With moderation on,
 * the upload ends at `awaiting_moderation`: a finished step for this flow (the decision can take hours).
 */
import { ApiError, NetworkError } from "../../../api/problem";
import type { ConfirmUpload, UploadStatus, UploadTicket } from "../../../api/types";
import { UploadError, classifyUploadFailure, cloudinaryMessage, quotaError } from "./errors";
import type { Transport } from "./transport";

/**
 * What the flow reads of an intent's state: `status` is `pending`, `applied`, `rejected`, `superseded`,
 * `expired`, or `awaiting_moderation` (uploaded, held back from the public profile until a reviewer decides).
 */
export type IntentState = Pick<UploadStatus, "status" | "reason">;

export interface UploadApi {
  createUpload(): Promise<UploadTicket>;
  status(params: UploadTicket, signal?: AbortSignal): Promise<IntentState>;
  confirm(params: UploadTicket, body: ConfirmUpload, signal?: AbortSignal): Promise<IntentState>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type Phase = "signing" | "uploading" | "confirming";

export interface UploadRequest {
  file: Blob;
  filename: string;
  signal?: AbortSignal;
  onPhase?: (phase: Phase) => void;
  /** 0..1 of the bytes sent. */
  onProgress?: (fraction: number) => void;
  pollIntervalMs?: number;
  /** How long after Cloudinary's answer the first status poll waits (default `FIRST_POLL_MS`). */
  firstPollAfterMs?: number;
  /** How long to wait for the webhook before using the confirm fallback. */
  confirmAfterMs?: number;
}

export interface CloudinaryResponse {
  public_id: string;
  version: number;
  signature: string;
  secure_url?: string;
  [key: string]: unknown;
}

export interface UploadOutcome {
  params: UploadTicket;
  response: CloudinaryResponse;
  state: IntentState;
  /** Whether the confirm fallback was needed. */
  confirmedByClient: boolean;
  /** Uploaded but waiting for a reviewer: the owner sees it as `pending_avatar`, everyone else the old picture. */
  underReview: boolean;
}

export const AWAITING_MODERATION = "awaiting_moderation";

/**
 * The first status poll waits this long after Cloudinary answers the upload. The notification arrives after that
 * answer, so a poll at once found the upload still pending, and the picture showed at the next poll, half a
 * second later. Measured on the emulator, 30 uploads each way: polling at once took 2 polls every time and
 * showed the picture at ~510 ms; waiting 150 ms took 1 poll every time and showed it at ~160 ms. Where a
 * notification takes longer (Cloudinary does not document its delay), the picture shows 150 ms later at worst.
 */
export const FIRST_POLL_MS = 150;

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new UploadError("cancelled"));
      });
    }),
};

/** API failures in words: network trouble, or the server's own detail. */
function fromApi(error: unknown): never {
  if (error instanceof UploadError) throw error;
  if (error instanceof NetworkError) throw new UploadError("network");
  if (error instanceof DOMException && error.name === "AbortError") throw new UploadError("cancelled");
  if (error instanceof ApiError) {
    // Signing refused by a quota (too many uploads pending or this hour): say how long to wait, not "went wrong".
    if (error.status === 429) throw quotaError(error.retryAfter);
    if (error.status === 422 || error.status === 400) throw new UploadError("rejected", error.message);
    throw new UploadError("server", error.message);
  }
  throw error;
}

export function buildForm(params: UploadTicket, file: Blob, filename: string): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(params.fields)) form.append(key, value);
  form.append("file", file, filename); // last, as Cloudinary's SDKs send it
  return form;
}

export async function uploadAvatar(
  api: UploadApi,
  transport: Transport,
  clock: Clock,
  request: UploadRequest,
): Promise<UploadOutcome> {
  const { signal, onPhase, onProgress } = request;
  const checkCancelled = () => {
    if (signal?.aborted) throw new UploadError("cancelled");
  };
  const sign = async () => {
    onPhase?.("signing");
    let params = await api.createUpload().catch(fromApi);
    // Parameters that are already past their expiry (a slow phone, a sleeping laptop): get new ones.
    if (Date.parse(params.expires_at) <= clock.now()) params = await api.createUpload().catch(fromApi);
    checkCancelled();
    return params;
  };

  let params = await sign();
  let response: CloudinaryResponse | null = null;
  for (let attempt = 0; response === null; attempt++) {
    onPhase?.("uploading");
    onProgress?.(0);
    const result = await transport(params.upload_url, buildForm(params, request.file, request.filename), {
      signal,
      onProgress: (loaded, total) => onProgress?.(total > 0 ? loaded / total : 0),
    });
    if (result.status >= 200 && result.status < 300) {
      onProgress?.(1);
      response = parseResponse(result.body);
      break;
    }
    const message = cloudinaryMessage(result.body, result.cldError);
    const kind = classifyUploadFailure(result.status, message);
    if (kind === "expired" && attempt === 0) {
      params = await sign();
      continue;
    }
    throw new UploadError(kind, kind === "rejected" || kind === "server" ? message : null);
  }

  onPhase?.("confirming");
  const deadline = clock.now() + (request.confirmAfterMs ?? 8000);
  let state: IntentState = { status: "pending", reason: null };
  await clock.sleep(request.firstPollAfterMs ?? FIRST_POLL_MS, signal);
  for (;;) {
    checkCancelled();
    try {
      state = await api.status(params, signal);
    } catch (error) {
      // A blip while polling is not a failed upload: keep waiting until the deadline.
      if (!(error instanceof NetworkError || (error instanceof ApiError && error.status >= 500))) fromApi(error);
    }
    if (state.status !== "pending" || clock.now() >= deadline) break;
    await clock.sleep(request.pollIntervalMs ?? 500, signal);
  }

  let confirmedByClient = false;
  if (state.status === "pending") {
    state = await api
      .confirm(params, { version: response.version, signature: response.signature }, signal)
      .catch(fromApi);
    confirmedByClient = true;
  }
  if (state.status === "rejected") throw new UploadError("rejected", state.reason);
  // The intent lapsed before any confirmation reached the service: the permission expired.
  if (state.status === "expired") throw new UploadError("expired");
  if (state.status === "pending") throw new UploadError("timeout");
  return { params, response, state, confirmedByClient, underReview: state.status === AWAITING_MODERATION };
}

function parseResponse(body: string): CloudinaryResponse {
  try {
    const parsed = JSON.parse(body) as CloudinaryResponse;
    if (typeof parsed.public_id === "string" && typeof parsed.signature === "string") {
      return { ...parsed, version: Number(parsed.version) };
    }
  } catch {
    // fall through
  }
  throw new UploadError("server", "Cloudinary's answer was unreadable");
}
