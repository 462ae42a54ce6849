/**
 * The colour theme: "system" follows `prefers-color-scheme`; "light" and "dark" pin it for the whole app
 * through `<html data-theme>` (styles.css). The choice is stored on the profile (preferences) and kept in
 * localStorage too, so the next page load paints in the right colours before anyone is signed in.
 */
import type { Theme } from "./api/types";

const KEY = "theme";

export const isTheme = (v: unknown): v is Theme => v === "system" || v === "light" || v === "dark";

/** The stored choice, "system" when there is none (or storage is unavailable or holds junk). */
export function storedTheme(storage: Pick<Storage, "getItem"> | null = safeStorage()): Theme {
  try {
    const value = storage?.getItem(KEY);
    return isTheme(value) ? value : "system";
  } catch {
    return "system";
  }
}

/** Apply `theme` to the document at once and remember it on this device. */
export function applyTheme(
  theme: Theme,
  root: HTMLElement = document.documentElement,
  storage: Pick<Storage, "setItem" | "removeItem"> | null = safeStorage(),
): void {
  if (theme === "system") {
    root.removeAttribute("data-theme");
    root.style.colorScheme = "";
  } else {
    root.setAttribute("data-theme", theme);
    // Native controls (scrollbars, inputs) follow too.
    root.style.colorScheme = theme;
  }
  try {
    if (theme === "system") storage?.removeItem(KEY);
    else storage?.setItem(KEY, theme);
  } catch {
    // Private mode or storage disabled: the theme still applies to this page.
  }
}

function safeStorage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null;
  }
}
