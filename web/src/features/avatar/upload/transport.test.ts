import { describe, expect, it } from "vitest";
import { UploadError } from "./errors";
import { type XhrLike, xhrTransport } from "./transport";

class FakeXhr implements XhrLike {
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: ((event: ProgressEvent) => void) | null = null;
  onerror: ((event: ProgressEvent) => void) | null = null;
  onabort: ((event: ProgressEvent) => void) | null = null;
  ontimeout: ((event: ProgressEvent) => void) | null = null;
  status = 0;
  responseText = "";
  headers: Record<string, string> = {};
  opened: [string, string] | null = null;
  sent: FormData | null = null;
  aborted = false;

  open(method: string, url: string) {
    this.opened = [method, url];
  }
  send(body: FormData) {
    this.sent = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.({} as ProgressEvent);
  }
  getResponseHeader(name: string) {
    return this.headers[name] ?? null;
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  respond(status: number, body: string, headers: Record<string, string> = {}) {
    this.status = status;
    this.responseText = body;
    this.headers = headers;
    this.onload?.({} as ProgressEvent);
  }
}

describe("xhrTransport", () => {
  it("reports real upload progress and the answer", async () => {
    const xhr = new FakeXhr();
    const seen: number[] = [];
    const form = new FormData();
    const pending = xhrTransport(() => xhr)("http://cld/upload", form, { onProgress: (l, t) => seen.push(l / t) });
    xhr.progress(50, 200);
    xhr.progress(200, 200);
    xhr.respond(200, '{"ok":1}', { "X-Cld-Error": "none" });
    await expect(pending).resolves.toEqual({ status: 200, body: '{"ok":1}', cldError: "none" });
    expect(seen).toEqual([0.25, 1]);
    expect(xhr.opened).toEqual(["POST", "http://cld/upload"]);
    expect(xhr.sent).toBe(form);
  });

  it("turns a network failure into status 0", async () => {
    const xhr = new FakeXhr();
    const pending = xhrTransport(() => xhr)("u", new FormData(), {});
    xhr.onerror?.({} as ProgressEvent);
    await expect(pending).resolves.toMatchObject({ status: 0 });
  });

  it("aborts the request when cancelled", async () => {
    const xhr = new FakeXhr();
    const controller = new AbortController();
    const pending = xhrTransport(() => xhr)("u", new FormData(), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toEqual(new UploadError("cancelled"));
    expect(xhr.aborted).toBe(true);
  });

  it("never sends when already cancelled", async () => {
    const xhr = new FakeXhr();
    const controller = new AbortController();
    controller.abort();
    await expect(xhrTransport(() => xhr)("u", new FormData(), { signal: controller.signal })).rejects.toBeInstanceOf(
      UploadError,
    );
    expect(xhr.opened).toBeNull();
  });
});
