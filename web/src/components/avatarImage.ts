/** Which picture file to load for an avatar, and what to show when there is none. */
import { avatarVariants } from "../api/profile";
import type { Avatar, PublicAvatar } from "../api/types";

/** What drawing an avatar needs: the owner's own (`Avatar`) and the public one (`PublicAvatar`) both have it. */
export type AvatarImage = Pick<Avatar | PublicAvatar, "secure_url" | "variants">;

/** `srcset` from the eager sizes, so each place downloads the smallest picture that stays sharp. */
export function avatarSources(avatar: AvatarImage, size: number): { src: string; srcSet?: string } {
  const variants = avatarVariants(avatar.variants);
  const fallback = variants.find((v) => v.width >= size) ?? variants.at(-1);
  if (fallback === undefined) return { src: avatar.secure_url };
  return { src: fallback.url, srcSet: variants.map((v) => `${v.url} ${v.width}w`).join(", ") };
}

export function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? "?").slice(0, 2)).toUpperCase();
}
