/** The multipart POST to Cloudinary, with XHR because fetch still has no upload progress events. */
import { UploadError } from "./errors";

export interface PostResult {
  /** 0 when no answer arrived (network failure, CORS refusal). */
  status: number;
  body: string;
  cldError: string | null;
}

export interface PostOptions {
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export type Transport = (url: string, form: FormData, options: PostOptions) => Promise<PostResult>;

/** The subset of XMLHttpRequest we use, so tests can hand in a fake. */
export interface XhrLike {
  upload: { onprogress: ((event: ProgressEvent) => void) | null };
  onload: ((event: ProgressEvent) => void) | null;
  onerror: ((event: ProgressEvent) => void) | null;
  onabort: ((event: ProgressEvent) => void) | null;
  ontimeout: ((event: ProgressEvent) => void) | null;
  status: number;
  responseText: string;
  open(method: string, url: string): void;
  send(body: FormData): void;
  abort(): void;
  getResponseHeader(name: string): string | null;
}

export function xhrTransport(createXhr: () => XhrLike = () => new XMLHttpRequest()): Transport {
  return (url, form, { onProgress, signal }) =>
    new Promise<PostResult>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new UploadError("cancelled"));
        return;
      }
      const xhr = createXhr();
      const onAbortSignal = () => xhr.abort();
      const done = () => signal?.removeEventListener("abort", onAbortSignal);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress?.(event.loaded, event.total);
      };
      xhr.onload = () => {
        done();
        resolve({ status: xhr.status, body: xhr.responseText, cldError: xhr.getResponseHeader("X-Cld-Error") });
      };
      xhr.onerror = xhr.ontimeout = () => {
        done();
        resolve({ status: 0, body: "", cldError: null });
      };
      xhr.onabort = () => {
        done();
        reject(new UploadError("cancelled"));
      };
      signal?.addEventListener("abort", onAbortSignal);
      xhr.open("POST", url);
      xhr.send(form);
    });
}
