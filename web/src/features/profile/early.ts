/**
 * The public profile a `/u/{username}` page load shows, asked for by boot.ts at once (before the session's first
 * refresh has answered, and before the app's code has even arrived), with its picture preloaded and, once the
 * answer is in, painted in place of the page's "Loading…" (`paintProfileCard`): the face, the page's largest
 * image, is on screen without waiting for the app's code. The app's first render takes over the same card
 * (`prefetchedProfile`); the page takes the answer once, and later visits to a profile fetch their own.
 */
import type { ProfileClient } from "../../api/profile";
import type { PublicAvatar, PublicProfile } from "../../api/types";
import { avatarSources } from "../../components/avatarImage";

/** The picture's displayed size on a public profile (CSS pixels): the preload asks for what the page shows. */
export const PUBLIC_AVATAR_SIZE = 160;

interface Prefetched {
  username: string;
  profile: Promise<PublicProfile | null>;
  /** The answer once it is in (a profile someone may see: the same for every visitor), for the first render. */
  found?: PublicProfile;
}

let prefetched: Prefetched | null = null;

/**
 * Ask for `username`'s public profile now, without the session, then preload its picture and paint it; settles
 * (never rejects) once the picture is decoded (or failed to load), or at once when there is nothing to paint.
 * Every visitor who may see a profile sees the same view of it; only a private profile's owner sees one where
 * others get "not found" (so the owner's direct visit logs one 404 before `profileAnswer` asks again), and
 * waiting for the session first would delay every visit for that one case. Called before the first refresh has
 * answered, so the request carries no access token.
 */
export function prefetchPublicProfile(
  username: string,
  profiles: ProfileClient,
  document: Document = globalThis.document,
): Promise<void> {
  // The placeholder of the HTML as served (index.html's "Loading…"), taken now: once the app has rendered, this
  // node is gone and nothing here touches the page.
  const waiting = document.querySelector<HTMLElement>("#main > .loading");
  const profile = profiles.publicProfile(username);
  const entry: Prefetched = { username, profile };
  prefetched = entry;
  return profile
    .then((found) => {
      if (found === null) return;
      entry.found = found;
      if (found.avatar) preloadAvatar(document, found.avatar);
      if (waiting?.isConnected) return shown(paintProfileCard(document, waiting, found));
    })
    .catch(() => undefined);
}

/** The prefetched profile for this username if its answer is in and found (not taken: the first render's). */
export function prefetchedProfile(username: string): PublicProfile | null {
  return prefetched?.username === username ? (prefetched.found ?? null) : null;
}

/**
 * The top of the page's card, as PublicProfilePage draws it (the same classes, so the same place and size), in
 * place of `waiting`: the picture, the name and the username, written as text (never as HTML). The app's first
 * render replaces it with the whole card.
 */
export function paintProfileCard(
  document: Document,
  waiting: HTMLElement,
  profile: PublicProfile,
): HTMLImageElement | null {
  const name = profile.display_name || profile.username;
  const card = document.createElement("article");
  card.className = "card public-profile";
  if (profile.avatar) {
    const { src, srcSet } = avatarSources(profile.avatar, PUBLIC_AVATAR_SIZE);
    const img = document.createElement("img");
    img.className = "avatar profile-avatar";
    img.width = img.height = PUBLIC_AVATAR_SIZE;
    img.style.width = img.style.height = `${PUBLIC_AVATAR_SIZE}px`;
    img.src = src;
    if (srcSet) {
      img.srcset = srcSet;
      img.sizes = `${PUBLIC_AVATAR_SIZE}px`;
    }
    img.alt = `${name}'s profile picture`;
    img.setAttribute("fetchpriority", "high");
    card.append(img);
  }
  const img = card.querySelector("img");
  const text = document.createElement("div");
  const heading = document.createElement("h1");
  heading.textContent = name;
  const handle = document.createElement("p");
  handle.className = "muted";
  handle.textContent = `@${profile.username}`;
  text.append(heading, handle);
  card.append(text);
  waiting.replaceWith(card);
  return img;
}

/** Once `img` is decoded and ready to paint, or failed to load (never rejects); at once for none. */
function shown(img: HTMLImageElement | null): Promise<void> {
  if (img === null || typeof img.decode !== "function") return Promise.resolve();
  return img.decode().catch(() => undefined);
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
