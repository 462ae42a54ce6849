import { useCallback, useLayoutEffect, useRef, useState } from "react";
import { ApiError } from "../api/problem";
import { useCountdown } from "./useCountdown";

export interface Submit<E, A extends unknown[]> {
  /** True while the action runs: disable the button, show "Saving…". */
  busy: boolean;
  /** What `describe` made of the last failure; cleared when the action runs again. */
  error: E | null;
  /**
   * Seconds left of a 429's Retry-After (0: none). While it runs, `error` is re-described each second with the
   * time left ("Please try again in 39 seconds"); at 0 the error goes. Disable the submit button while it is > 0.
   */
  waiting: number;
  /** For checks made before anything is sent (a field left empty). */
  setError: (error: E | null) => void;
  run: (...args: A) => Promise<void>;
}

/**
 * A form's submit: busy while `action` runs, its failure turned into `E` by `describe` (a message, or
 * messages per field). `run` keeps one identity, so it is safe in effect dependencies; it always reads the
 * latest `action` and `describe`, so `describe` must be pure (it is called again on every second of a wait).
 */
export function useSubmit<E, A extends unknown[] = []>(
  action: (...args: A) => Promise<void>,
  describe: (error: unknown) => E,
): Submit<E, A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<E | null>(null);
  const latest = useRef({ action, describe });
  useLayoutEffect(() => {
    latest.current = { action, describe };
  });
  const throttled = useRef<ApiError | null>(null);
  const { remaining, start } = useCountdown((left) => {
    const refused = throttled.current;
    if (refused === null) return;
    if (left > 0) {
      setError(latest.current.describe(refused.withRetryAfter(left)));
    } else {
      throttled.current = null;
      setError(null);
    }
  });

  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        await latest.current.action(...args);
      } catch (e) {
        if (e instanceof ApiError && e.status === 429 && e.retryAfter !== null && e.retryAfter > 0) {
          throttled.current = e;
          start(e.retryAfter);
        }
        setError(latest.current.describe(e));
      } finally {
        setBusy(false);
      }
    },
    [start],
  );

  return { busy, error, waiting: remaining, setError, run };
}
