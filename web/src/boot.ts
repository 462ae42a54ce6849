/**
 * The page's first script (index.html), kept small so it runs at once: the stored theme, the session's first
 * refresh and, on a public profile, its data and picture start here. The app itself (main.tsx) is imported once
 * the browser has painted the HTML, so a prerendered page is on screen before the app's code is parsed and run.
 */
import "./styles.css";
import { ProfileClient } from "./api/profile";
import { bootstrapSession, defaultAuth } from "./bootstrap";
import { prefetchPublicProfile } from "./features/profile/early";
import { publicProfileUsername } from "./paths";
import { applyTheme, storedTheme } from "./theme";

// The theme this device last used, before the first paint (the profile's choice follows once loaded).
applyTheme(storedTheme());

// Ask whether someone is signed in now rather than after the app has loaded and rendered.
bootstrapSession().catch(() => undefined);

const username = publicProfileUsername(window.location.pathname);
const profile = username === null ? null : prefetchPublicProfile(username, new ProfileClient(defaultAuth));

/**
 * On a public profile, the app starts once the profile is painted, its picture included, or `PROFILE_WAIT_MS`
 * after this script started, whichever is first: the app's first render then takes over the card the visitor
 * already sees (the picture decoded, so the swap shows no gap), instead of replacing it with "Loading…" or an
 * empty frame while the answer or the picture is on its way. The app's code downloads meanwhile; the page's
 * links are plain links, which work before it runs.
 */
const PROFILE_WAIT_MS = 1000;
function profileAnswered(): Promise<void> {
  if (profile === null) return Promise.resolve();
  return Promise.race([profile, new Promise<void>((resolve) => setTimeout(resolve, PROFILE_WAIT_MS))]);
}

/** After the next frame is painted; at once in a background tab, which paints nothing until it is shown. */
function afterFirstPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === "hidden") resolve();
    else requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}

void Promise.all([afterFirstPaint(), profileAnswered()]).then(() => import("./main"));
