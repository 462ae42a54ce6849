import type { Avatar as AvatarData } from "../api/profile";

interface Props {
  avatar: AvatarData | null;
  name: string;
  /** Displayed size in CSS pixels (the picture is square). */
  size: number;
  className?: string;
  /** Beside a text label that already names it: hidden from assistive technology. */
  decorative?: boolean;
}

/** `srcset` from the eager sizes, so each place downloads the smallest picture that stays sharp. */
export function avatarSources(avatar: AvatarData, size: number): { src: string; srcSet?: string } {
  if (avatar.variants.length === 0) return { src: avatar.secure_url };
  const fallback = avatar.variants.find((v) => v.width >= size) ?? avatar.variants[avatar.variants.length - 1];
  return { src: fallback.url, srcSet: avatar.variants.map((v) => `${v.url} ${v.width}w`).join(", ") };
}

export function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? "?").slice(0, 2)).toUpperCase();
}

export function Avatar({ avatar, name, size, className = "", decorative = false }: Props) {
  const style = { width: size, height: size };
  if (avatar === null) {
    return (
      <span
        className={`avatar avatar-default ${className}`}
        style={{ ...style, fontSize: size * 0.38 }}
        role={decorative ? undefined : "img"}
        aria-label={decorative ? undefined : `${name} has no profile picture yet`}
        aria-hidden={decorative || undefined}
        data-testid="avatar-default"
      >
        {initials(name)}
      </span>
    );
  }
  const { src, srcSet } = avatarSources(avatar, size);
  return (
    <img
      className={`avatar ${className}`}
      style={style}
      src={src}
      srcSet={srcSet}
      sizes={`${size}px`}
      width={size}
      height={size}
      alt={decorative ? "" : `${name}'s profile picture`}
      data-testid="avatar"
      decoding="async"
    />
  );
}
