/**
 * The public profile a `/u/{username}` page load shows, asked for by boot.ts as soon as the session is known
 * (before the app's code has even arrived), with its picture preloaded, so the page's largest image does not wait
 * for the app to render first. The page takes this answer once; later visits to a profile fetch their own.
 */
import type { ProfileClient } from "../../api/profile";
import type { PublicAvatar, PublicProfile } from "../../api/types";
import { avatarSources } from "../../components/avatarImage";

/** The picture's displayed size on a public profile (CSS pixels): the preload asks for what the page shows. */
export const PUBLIC_AVATAR_SIZE = 160;

interface Prefetched {
  username: string;
  signedIn: boolean;
  profile: Promise<PublicProfile | null>;
}

let prefetched: Prefetched | null = null;

/**
 * Ask for `username`'s public profile once `session` says whether someone is signed in (an owner sees their own
 * private profile, so the question depends on it), then preload its picture.
 */
export function prefetchPublicProfile(
  username: string,
  session: Promise<boolean>,
  profiles: ProfileClient,
  document: Document = globalThis.document,
): void {
  void session
    .catch(() => false)
    .then((signedIn) => {
      const profile = profiles.publicProfile(username);
      prefetched = { username, signedIn, profile };
      return profile;
    })
    .then((found) => {
      if (found?.avatar) preloadAvatar(document, found.avatar);
    })
    .catch(() => undefined);
}

/** The prefetched answer for this username and visitor, once; null when there is none (the page fetches). */
export function takePrefetchedProfile(username: string, signedIn: boolean): Promise<PublicProfile | null> | null {
  const found = prefetched;
  if (found === null || found.username !== username || found.signedIn !== signedIn) return null;
  prefetched = null;
  return found.profile;
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
