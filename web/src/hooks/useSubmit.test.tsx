import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/problem";
import { formatWait } from "../api/wait";
import { type Submit, useSubmit } from "./useSubmit";

// React's test mode: `act` flushes renders and effects before the assertions.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
  vi.useRealTimers();
});

/** Renders a component that uses the hook, and hands back its latest result. */
function mount<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
  describe: (e: unknown) => string = (e) => `failed: ${e instanceof Error ? e.message : "?"}`,
): { current: Submit<string, A> } {
  const latest = {} as { current: Submit<string, A> };
  function Probe() {
    latest.current = useSubmit(action, describe);
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

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("useSubmit", () => {
  it("is busy while the action runs and passes its arguments", async () => {
    const gate = deferred();
    const seen: string[] = [];
    const hook = mount(async (value: string) => {
      seen.push(value);
      await gate.promise;
    });
    let running!: Promise<void>;
    act(() => {
      running = hook.current.run("a");
    });
    expect(hook.current.busy).toBe(true);
    expect(seen).toEqual(["a"]);
    await act(async () => {
      gate.resolve();
      await running;
    });
    expect(hook.current.busy).toBe(false);
    expect(hook.current.error).toBeNull();
  });

  it("describes a failure, stops being busy, and clears the error on the next run", async () => {
    let fail = true;
    const hook = mount(async () => {
      await Promise.resolve();
      if (fail) throw new Error("nope");
    });
    const first = hook.current.run;
    await act(() => hook.current.run());
    expect(hook.current).toMatchObject({ busy: false, error: "failed: nope" });
    fail = false;
    await act(() => hook.current.run());
    expect(hook.current.error).toBeNull();
    expect(hook.current.run).toBe(first);
  });

  it("lets a form set its own error before sending anything", () => {
    const hook = mount(() => Promise.resolve());
    act(() => {
      hook.current.setError("Enter your password.");
    });
    expect(hook.current.error).toBe("Enter your password.");
  });
});

describe("useSubmit after a 429", () => {
  const throttled = (retryAfter: number | null) => new ApiError({ status: 429, detail: "Too many" }, retryAfter);
  const words = (e: unknown) =>
    e instanceof ApiError && e.status === 429 ? `Please try again ${formatWait(e.retryAfter)}.` : "other";

  it("counts Retry-After down in the message, once a second, and ends the wait at 0", async () => {
    vi.useFakeTimers();
    const hook = mount(() => Promise.reject(throttled(3)), words);
    await act(() => hook.current.run());
    expect(hook.current).toMatchObject({ error: "Please try again in 3 seconds.", waiting: 3 });

    act(() => {
      vi.advanceTimersByTime(999);
    });
    expect(hook.current.waiting).toBe(3);
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(hook.current).toMatchObject({ error: "Please try again in 2 seconds.", waiting: 2 });
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(hook.current).toMatchObject({ error: "Please try again in 1 second.", waiting: 1 });
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(hook.current).toMatchObject({ error: null, waiting: 0 });
    // Nothing keeps ticking once the wait is over.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("words minutes until under one, then seconds", async () => {
    vi.useFakeTimers();
    const hook = mount(() => Promise.reject(throttled(90)), words);
    await act(() => hook.current.run());
    expect(hook.current.error).toBe("Please try again in 2 minutes.");
    act(() => {
      vi.advanceTimersByTime(31_000);
    });
    expect(hook.current).toMatchObject({ error: "Please try again in 59 seconds.", waiting: 59 });
  });

  it("does not skip or repeat a second when the timer fires late", async () => {
    vi.useFakeTimers();
    const hook = mount(() => Promise.reject(throttled(5)), words);
    await act(() => hook.current.run());
    const seen: number[] = [hook.current.waiting];
    for (let i = 0; i < 5; i++) {
      // A busy main thread: the clock moves on 300 ms before the timer gets to run.
      vi.setSystemTime(Date.now() + 300);
      act(() => {
        vi.advanceTimersToNextTimer();
      });
      seen.push(hook.current.waiting);
    }
    expect(seen).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it("a 429 without Retry-After says 'in a moment' and does not hold the button", async () => {
    vi.useFakeTimers();
    const hook = mount(() => Promise.reject(throttled(null)), words);
    await act(() => hook.current.run());
    expect(hook.current).toMatchObject({ error: "Please try again in a moment.", waiting: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("another failure starts no countdown", async () => {
    vi.useFakeTimers();
    const hook = mount(() => Promise.reject(new ApiError({ status: 401 }, 30)), words);
    await act(() => hook.current.run());
    expect(hook.current).toMatchObject({ error: "other", waiting: 0 });
  });
});
