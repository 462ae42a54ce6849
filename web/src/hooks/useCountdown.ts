import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

export interface Countdown {
  /** Whole seconds left, rounded up (as `formatWait` words them); 0 when nothing is being waited for. */
  remaining: number;
  /** Count down from `seconds` (a 429's Retry-After); a new start replaces the running one. */
  start: (seconds: number) => void;
}

/**
 * The one countdown behind every "Please try again in 40 seconds": ticks once per whole second of a deadline
 * (so a timer that fires late never shows a second twice or skips one) and stops at 0. `onTick` hears every
 * second after the start, 0 included: the place to re-word a message or clear it.
 */
export function useCountdown(onTick?: (remaining: number) => void): Countdown {
  const [deadline, setDeadline] = useState<number | null>(null);
  const [remaining, setRemaining] = useState(0);
  const latest = useRef(onTick);
  useLayoutEffect(() => {
    latest.current = onTick;
  });

  useEffect(() => {
    if (deadline === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const left = () => Math.max(0, deadline - Date.now());
    // Wake when the whole seconds left drop by one (at the deadline itself for the last).
    const schedule = () => {
      timer = setTimeout(tick, left() - (Math.ceil(left() / 1000) - 1) * 1000);
    };
    const tick = () => {
      const seconds = Math.ceil(left() / 1000);
      setRemaining(seconds);
      latest.current?.(seconds);
      if (seconds === 0) setDeadline(null);
      else schedule();
    };
    schedule();
    return () => clearTimeout(timer);
  }, [deadline]);

  const start = useCallback((seconds: number) => {
    const whole = Math.max(0, Math.ceil(seconds));
    setRemaining(whole);
    setDeadline(whole > 0 ? Date.now() + seconds * 1000 : null);
  }, []);

  return { remaining, start };
}
