/** A router of a few lines: the History API, a hook for the current location and a link that uses it. */
import { createContext, useContext, useSyncExternalStore } from "react";

const EVENT = "app:navigate";

function subscribe(callback: () => void): () => void {
  window.addEventListener("popstate", callback);
  window.addEventListener(EVENT, callback);
  return () => {
    window.removeEventListener("popstate", callback);
    window.removeEventListener(EVENT, callback);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/**
 * The page being rendered where there is no `window`: the build's prerender (prerender.tsx) provides it. In the
 * browser it is absent, and hydration reads the real location (main.tsx hydrates only the page that was
 * prerendered for it).
 */
export const StaticLocation = createContext<string | null>(null);

/** `pathname + search` of the current page, re-rendering on navigation. */
export function useLocation(): string {
  const fixed = useContext(StaticLocation);
  return useSyncExternalStore(subscribe, snapshot, () => fixed ?? snapshot());
}

const subscribeNothing = () => () => undefined;

/**
 * False while React hydrates prerendered HTML (and on the server), true from the render after. A prerendered form
 * is inert until then: typed text would not reach the state yet, and a native submit would send it as a query.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribeNothing,
    () => true,
    () => false,
  );
}

export function navigate(to: string, { replace = false } = {}): void {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo?.(0, 0);
}
