/** RFC 9457 problem details, as both services answer every error, turned into an Error the UI can show. */

export interface FieldError {
  message: string;
  key?: string;
  source?: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  /** auth-service's 409 names the field that is taken; re-auth errors name `password` or `code`. */
  field?: string;
  /**
   * Single-use link errors: `invalid_token`, `used_token`, `expired_token`, `wrong_account`; a suspended
   * account's 403: the admin's reason.
   */
  reason?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** Seconds from a 429's Retry-After header, when given. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail ?? problem.title ?? `Request failed (${problem.status})`);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** The same error with `seconds` left to wait: a countdown re-words its message as the wait runs down. */
  withRetryAfter(seconds: number): ApiError {
    return new ApiError(this.problem, seconds);
  }

  /** Messages per form field, from `errors[].key` and the 409's `field`. */
  fieldMessages(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.problem.field) out[this.problem.field] = this.problem.detail ?? "Already taken.";
    for (const e of this.problem.errors ?? []) {
      if (e.key && !(e.key in out)) out[e.key] = e.message;
    }
    return out;
  }
}

/** Thrown when the request never got an answer (offline, DNS, server down). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super("We couldn't reach the server. Check your connection and try again.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

export async function problemFrom(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML error page): the status and its text still say what happened.
    body = null;
  }
  const problem: Problem =
    body !== null && typeof body === "object"
      ? { ...(body as Partial<Problem>), status: response.status }
      : { status: response.status, title: response.statusText };
  const header = response.headers.get("Retry-After");
  const retryAfter = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  return new ApiError(problem, retryAfter);
}

/** `fetch` that turns transport failures into NetworkError (an AbortError passes through untouched). */
export async function send(fetchFn: typeof fetch, input: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetchFn(input, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new NetworkError(error);
  }
}
