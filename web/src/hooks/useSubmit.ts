import { useCallback, useLayoutEffect, useRef, useState } from "react";

export interface Submit<E, A extends unknown[]> {
  /** True while the action runs: disable the button, show "Saving…". */
  busy: boolean;
  /** What `describe` made of the last failure; cleared when the action runs again. */
  error: E | null;
  /** For checks made before anything is sent (a field left empty). */
  setError: (error: E | null) => void;
  run: (...args: A) => Promise<void>;
}

/**
 * A form's submit: busy while `action` runs, its failure turned into `E` by `describe` (a message, or
 * messages per field). `run` keeps one identity, so it is safe in effect dependencies; it always reads the
 * latest `action` and `describe`.
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

  const run = useCallback(async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await latest.current.action(...args);
    } catch (e) {
      setError(latest.current.describe(e));
    } finally {
      setBusy(false);
    }
  }, []);

  return { busy, error, setError, run };
}
