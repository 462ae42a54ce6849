/** Pixel math for orienting, cropping and downscaling: pure functions, unit-tested. */

export interface Size {
  width: number;
  height: number;
}

/** A square crop in oriented (display) pixels. */
export interface Crop {
  x: number;
  y: number;
  size: number;
}

/** Canvas `transform(a, b, c, d, e, f)` arguments. */
export type Matrix = [number, number, number, number, number, number];

/** The long side sent when the service does not say (`upload_long_edge`): what every upload used before it did. */
export const MAX_EDGE = 2048;

/** Scale `size` down (never up) so its long side is at most `max`, keeping the aspect ratio. */
export function fitWithin(size: Size, max: number): Size {
  const long = Math.max(size.width, size.height);
  if (long <= max) return { width: size.width, height: size.height };
  const scale = max / long;
  return {
    width: Math.max(1, Math.round(size.width * scale)),
    height: Math.max(1, Math.round(size.height * scale)),
  };
}

/** Orientations 5 to 8 turn the picture a quarter, swapping width and height. */
export function swapsAxes(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

export function orientedSize(stored: Size, orientation: number): Size {
  return swapsAxes(orientation) ? { width: stored.height, height: stored.width } : { ...stored };
}

/**
 * The transform that maps stored pixel coordinates (width w, height h) to display coordinates for an
 * EXIF orientation: x' = a·x + c·y + e, y' = b·x + d·y + f.
 */
export function orientationMatrix(orientation: number, w: number, h: number): Matrix {
  switch (orientation) {
    case 2:
      return [-1, 0, 0, 1, w, 0]; // mirrored
    case 3:
      return [-1, 0, 0, -1, w, h]; // upside down
    case 4:
      return [1, 0, 0, -1, 0, h]; // mirrored vertically
    case 5:
      return [0, 1, 1, 0, 0, 0]; // transposed
    case 6:
      return [0, 1, -1, 0, h, 0]; // turned a quarter clockwise to display
    case 7:
      return [0, -1, -1, 0, h, w]; // transversed
    case 8:
      return [0, -1, 1, 0, 0, w]; // turned a quarter anticlockwise to display
    default:
      return [1, 0, 0, 1, 0, 0];
  }
}

export function applyMatrix(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/**
 * Whether we must rotate the decoded pixels ourselves. Current browsers already apply EXIF orientation
 * when decoding; older ones did not. A quarter turn is visible in the decoded size; for the others we
 * trust what the browser says it supports (`image-orientation: from-image`).
 */
export function needsManualOrientation(
  orientation: number,
  stored: Size,
  decoded: Size,
  browserAppliesOrientation: boolean,
): boolean {
  if (orientation <= 1 || orientation > 8) return false;
  if (swapsAxes(orientation) && stored.width !== stored.height) {
    return decoded.width === stored.width && decoded.height === stored.height;
  }
  return !browserAppliesOrientation;
}

/** The largest centred square. */
export function centeredSquare(size: Size): Crop {
  const side = Math.min(size.width, size.height);
  return { x: Math.round((size.width - side) / 2), y: Math.round((size.height - side) / 2), size: side };
}

/** Keep a crop inside the image, at least `minSize` pixels (or the image's short side, if smaller). */
export function clampCrop(crop: Crop, image: Size, minSize = 16): Crop {
  const limit = Math.min(image.width, image.height);
  const size = Math.min(limit, Math.max(Math.min(minSize, limit), crop.size));
  return {
    x: Math.min(Math.max(0, crop.x), image.width - size),
    y: Math.min(Math.max(0, crop.y), image.height - size),
    size,
  };
}

/** Move a crop by a drag of (dx, dy) viewport pixels; the viewport shows the crop `viewport` pixels wide. */
export function panCrop(crop: Crop, image: Size, dx: number, dy: number, viewport: number): Crop {
  const perPixel = crop.size / viewport;
  return clampCrop({ ...crop, x: crop.x - dx * perPixel, y: crop.y - dy * perPixel }, image);
}

/** Zoom about the crop's centre: zoom 1 is the largest square, 4 a quarter of its side. */
export function zoomCrop(crop: Crop, image: Size, zoom: number): Crop {
  const size = Math.min(image.width, image.height) / Math.min(Math.max(zoom, 1), 8);
  const cx = crop.x + crop.size / 2;
  const cy = crop.y + crop.size / 2;
  return clampCrop({ x: cx - size / 2, y: cy - size / 2, size }, image, 1);
}

/** The output size of a crop (or of the whole picture) so its long side fits `max`. */
export function outputSize(image: Size, crop: Crop | null, max: number): Size {
  return fitWithin(crop ? { width: crop.size, height: crop.size } : image, max);
}
