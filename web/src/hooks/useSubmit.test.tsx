import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it } from "vitest";
import { type Submit, useSubmit } from "./useSubmit";

// React's test mode: `act` flushes renders and effects before the assertions.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

/** Renders a component that uses the hook, and hands back its latest result. */
function mount<A extends unknown[]>(action: (...args: A) => Promise<void>): { current: Submit<string, A> } {
  const latest = {} as { current: Submit<string, A> };
  function Probe() {
    latest.current = useSubmit(action, (e) => `failed: ${e instanceof Error ? e.message : "?"}`);
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
