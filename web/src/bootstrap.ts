/** The page load's one session client and its first refresh. */
import { AuthClient } from "./api/auth";

// One client per page load: the access token lives here, in memory only.
export const defaultAuth = new AuthClient();

// The first refresh runs once per page load, even when React mounts effects twice in development.
let bootstrap: Promise<boolean> | null = null;

/**
 * Start (or join) the page load's first refresh. main.tsx calls it before the first render, so the answer (and
 * what waits for it, such as a public profile's data and picture) is not held back by rendering.
 */
export function bootstrapSession(auth: AuthClient = defaultAuth): Promise<boolean> {
  bootstrap ??= auth.signedIn ? Promise.resolve(true) : auth.refresh();
  return bootstrap;
}
