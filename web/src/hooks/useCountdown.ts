import { useCallback, useEffect, useState } from "react";

export interface Countdown {
  /** Whole seconds left, rounded up (as `formatWait` words them); 0 when nothing is being waited for. */
  remaining: number;
  /** Count down from `seconds` (a 429's Retry-After); a new start replaces the running one. */
  start: (seconds: number) => void;
}

/**
 * The one countdown behind every "Please try again in 40 seconds": ticks once per whole second of a deadline
 * (so a timer that fires late never shows a second twice or skips one) and stops at 0.
 */
export function useCountdown(): Countdown {
  const [deadline, setDeadline] = useState<number | null>(null);
  const [remaining, setRemaining] = useState(0);

  useEffect(() => {
    if (deadline === null) return;
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const left = deadline - Date.now();
      const seconds = Math.max(0, Math.ceil(left / 1000));
      setRemaining(seconds);
      if (seconds === 0) {
        setDeadline(null);
        return;
      }
      // Wake at the next whole second before the deadline.
      timer = setTimeout(tick, left - (seconds - 1) * 1000);
    };
    tick();
    return () => clearTimeout(timer);
  }, [deadline]);

  const start = useCallback((seconds: number) => {
    setRemaining(Math.max(0, Math.ceil(seconds)));
    setDeadline(seconds > 0 ? Date.now() + seconds * 1000 : null);
  }, []);

  return { remaining, start };
}
