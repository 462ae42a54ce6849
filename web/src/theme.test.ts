import { describe, expect, it } from "vitest";
import { applyTheme, storedTheme } from "./theme";

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

describe("theme", () => {
  it("pins dark and light on the root element and remembers them", () => {
    const root = document.createElement("html");
    const storage = memoryStorage();
    applyTheme("dark", root, storage);
    expect(root.getAttribute("data-theme")).toBe("dark");
    expect(root.style.colorScheme).toBe("dark");
    expect(storedTheme(storage)).toBe("dark");
    applyTheme("light", root, storage);
    expect(root.getAttribute("data-theme")).toBe("light");
    expect(storedTheme(storage)).toBe("light");
  });

  it("follows the system again: no attribute, nothing stored", () => {
    const root = document.createElement("html");
    const storage = memoryStorage();
    applyTheme("dark", root, storage);
    applyTheme("system", root, storage);
    expect(root.hasAttribute("data-theme")).toBe(false);
    expect(root.style.colorScheme).toBe("");
    expect(storage.data.size).toBe(0);
    expect(storedTheme(storage)).toBe("system");
  });

  it("ignores junk and broken storage", () => {
    expect(storedTheme({ getItem: () => "purple" })).toBe("system");
    expect(
      storedTheme({
        getItem: () => {
          throw new Error("denied");
        },
      }),
    ).toBe("system");
    const root = document.createElement("html");
    applyTheme("dark", root, {
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => undefined,
    });
    expect(root.getAttribute("data-theme")).toBe("dark");
  });
});
