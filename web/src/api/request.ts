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
  const init: RequestInit = { method, signal };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const response = await fetcher(path, init);
  if (!response.ok) throw await problemFrom(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}
