import { describe, expect, it } from "vitest";
import { formatWait } from "./wait";

describe("formatWait", () => {
  it.each([
    [1, "in 1 second"],
    [40, "in 40 seconds"],
    [59, "in 59 seconds"],
    [60, "in 1 minute"],
    [61, "in 2 minutes"],
    [720, "in 12 minutes"],
    [3540, "in 59 minutes"],
    [3541, "in 1 hour"],
    [3600, "in 1 hour"],
    [7201, "in 3 hours"],
  ])("%i seconds → %s", (seconds, words) => {
    expect(formatWait(seconds)).toBe(words);
  });

  it("says a moment when there is no usable number", () => {
    expect(formatWait(null)).toBe("in a moment");
    expect(formatWait(0)).toBe("in a moment");
    expect(formatWait(Number.NaN)).toBe("in a moment");
  });
});
