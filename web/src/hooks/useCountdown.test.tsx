import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Countdown, useCountdown } from "./useCountdown";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let cleanup: (() => void) | null = null;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup?.();
  cleanup = null;
  vi.useRealTimers();
});

function mount(onTick?: (remaining: number) => void): { current: Countdown } {
  const latest = {} as { current: Countdown };
  function Probe() {
    latest.current = useCountdown(onTick);
    return null;
  }
  const root = createRoot(document.createElement("div"));
  act(() => {
    root.render(<Probe />);
  });
  cleanup = () => {
    act(() => {
      root.unmount();
    });
  };
  return latest;
}

const advance = (ms: number) => {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
};

describe("useCountdown", () => {
  it("tells onTick every second after the start, down to 0", () => {
    const ticks: number[] = [];
    const countdown = mount((left) => ticks.push(left));
    act(() => {
      countdown.current.start(3);
    });
    expect(countdown.current.remaining).toBe(3);
    advance(3000);
    expect(ticks).toEqual([2, 1, 0]);
    expect(countdown.current.remaining).toBe(0);
  });

  it("rounds a fractional wait up, and a new start replaces the running one", () => {
    const countdown = mount();
    act(() => {
      countdown.current.start(1.5);
    });
    expect(countdown.current.remaining).toBe(2);
    advance(500);
    expect(countdown.current.remaining).toBe(1);
    act(() => {
      countdown.current.start(10);
    });
    advance(1000);
    expect(countdown.current.remaining).toBe(9);
    expect(vi.getTimerCount()).toBe(1);
  });

  it("starts nothing for a wait of 0", () => {
    const ticks: number[] = [];
    const countdown = mount((left) => ticks.push(left));
    act(() => {
      countdown.current.start(0);
    });
    expect(countdown.current.remaining).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(ticks).toEqual([]);
  });

  it("stops its timer when the component goes", () => {
    const countdown = mount();
    act(() => {
      countdown.current.start(30);
    });
    expect(vi.getTimerCount()).toBe(1);
    cleanup?.();
    cleanup = null;
    expect(vi.getTimerCount()).toBe(0);
  });
});
