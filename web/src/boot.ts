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
if (username !== null) prefetchPublicProfile(username, new ProfileClient(defaultAuth));

/** After the next frame is painted; at once in a background tab, which paints nothing until it is shown. */
function afterFirstPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === "hidden") resolve();
    else requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}

void afterFirstPaint().then(() => import("./main"));
