/** The one way the clients talk to the services: JSON in and out, every error answer an ApiError. */
import { problemFrom } from "./problem";

/** `fetch`'s shape; the signed-in one adds the access token and refreshes once on a 401 (`AuthClient.fetch`). */
export type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * One request. `T` is the generated type of the answer (`void` for a 204): the services are the source
 * of truth for the shape, so the body is not re-validated here.
 */
export async function request<T>(fetcher: Fetcher, path: string, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", body, signal } = options;
  // Every call starts a trace of its own: the services continue it, so one click reads as one trace.
  const headers: Record<string, string> = { traceparent: traceparent() };
  const init: RequestInit = { method, signal, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetcher(path, init);
  if (!response.ok) throw await problemFrom(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Fills a buffer with random bytes (the Web Crypto API's; tests pass their own). */
export type RandomBytes = (bytes: Uint8Array) => Uint8Array;

const cryptoRandom: RandomBytes = (bytes) => crypto.getRandomValues(bytes);

function randomHex(length: number, random: RandomBytes): string {
  const bytes = random(new Uint8Array(length));
  // An all-zero trace or parent id is invalid in W3C Trace Context (a receiver would drop the header).
  if (bytes.every((b) => b === 0)) bytes[length - 1] = 1;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A W3C `traceparent` header value for a new trace: version 00, a random 16-byte trace id, a random 8-byte
 * parent id, sampled (flags 01). No tracing SDK: the browser records nothing, it only names the trace.
 */
export function traceparent(random: RandomBytes = cryptoRandom): string {
  return `00-${randomHex(16, random)}-${randomHex(8, random)}-01`;
}
