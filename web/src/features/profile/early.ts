/**
 * The public profile a `/u/{username}` page load shows, asked for by boot.ts at once (before the session's first
 * refresh has answered, and before the app's code has even arrived), with its picture preloaded, so the page's
 * largest image does not wait for the app to render first. The page takes this answer once; later visits to a
 * profile fetch their own.
 */
import type { ProfileClient } from "../../api/profile";
import type { PublicAvatar, PublicProfile } from "../../api/types";
import { avatarSources } from "../../components/avatarImage";

/** The picture's displayed size on a public profile (CSS pixels): the preload asks for what the page shows. */
export const PUBLIC_AVATAR_SIZE = 160;

interface Prefetched {
  username: string;
  profile: Promise<PublicProfile | null>;
}

let prefetched: Prefetched | null = null;

/**
 * Ask for `username`'s public profile now, without the session, then preload its picture. Every visitor who may
 * see a profile sees the same view of it; only a private profile's owner sees one where others get "not found",
 * so waiting for the session first would delay every visit for that one case (`profileAnswer` settles it).
 * Called before the first refresh has answered, so the request carries no access token.
 */
export function prefetchPublicProfile(
  username: string,
  profiles: ProfileClient,
  document: Document = globalThis.document,
): void {
  const profile = profiles.publicProfile(username);
  prefetched = { username, profile };
  profile
    .then((found) => {
      if (found?.avatar) preloadAvatar(document, found.avatar);
    })
    .catch(() => undefined);
}

/**
 * The profile the page shows: the prefetched answer for this username, taken once, or `ask()`'s. A signed-in
 * visitor told "not found" asks again with the session (they may own that private profile), and a prefetch that
 * failed is asked again, as the page would have without it.
 */
export function profileAnswer(
  username: string,
  signedIn: boolean,
  ask: () => Promise<PublicProfile | null>,
): Promise<PublicProfile | null> {
  const found = prefetched;
  if (found === null || found.username !== username) return ask();
  prefetched = null;
  return found.profile.then((profile) => (profile === null && signedIn ? ask() : profile), ask);
}

/** `<link rel=preload as=image>` with the `<img>`'s own srcset and sizes, so the browser picks the same file. */
function preloadAvatar(document: Document, avatar: PublicAvatar): void {
  const { src, srcSet } = avatarSources(avatar, PUBLIC_AVATAR_SIZE);
  const link = document.createElement("link");
  link.rel = "preload";
  link.as = "image";
  link.href = src;
  if (srcSet) {
    link.setAttribute("imagesrcset", srcSet);
    link.setAttribute("imagesizes", `${PUBLIC_AVATAR_SIZE}px`);
  }
  link.setAttribute("fetchpriority", "high");
  document.head.append(link);
}
