/** What a path says, without React: boot.ts reads it before the app has loaded. */

/** Only same-site paths are followed after sign-in, so `?next=` cannot send anyone elsewhere. */
export function safeNext(search: string, fallback = "/"): string {
  const next = new URLSearchParams(search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}

/** `/u/{username}` → the username (decoded), or null. */
export function publicProfileUsername(path: string): string | null {
  const match = /^\/u\/([^/]+)\/?$/.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
