/**
 * A server's `Retry-After` in words, the one way the app says how long to wait: "in 40 seconds", "in 2 minutes",
 * "in 1 hour". Rounded up (as profile-service words its own `detail`), so nobody is told to come back too early.
 */
export function formatWait(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return "in a moment";
  const whole = Math.ceil(seconds);
  if (whole < 60) return `in ${count(whole, "second")}`;
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return `in ${count(minutes, "minute")}`;
  return `in ${count(Math.ceil(minutes / 60), "hour")}`;
}

function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
