import { avatarSources, initials } from "./avatarImage";
import type { AvatarImage } from "./avatarImage";

interface Props {
  avatar: AvatarImage | null;
  name: string;
  /** Displayed size in CSS pixels (the picture is square). */
  size: number;
  className?: string;
  /** Beside a text label that already names it: hidden from assistive technology. */
  decorative?: boolean;
  /** The picture's text alternative, when "{name}'s profile picture" is not what it is (one under review). */
  alt?: string;
  /** The page's main picture (a profile's): fetched ahead of other images. */
  priority?: boolean;
}

export function Avatar({ avatar, name, size, className = "", decorative = false, alt, priority = false }: Props) {
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
      alt={decorative ? "" : (alt ?? `${name}'s profile picture`)}
      data-testid="avatar"
      decoding="async"
      fetchPriority={priority ? "high" : undefined}
    />
  );
}
