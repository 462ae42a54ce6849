/** Re-encoding through a canvas: WebP where the browser can encode it, JPEG otherwise. */

export interface BlobCanvas {
  toBlob(callback: (blob: Blob | null) => void, type?: string, quality?: number): void;
}

export interface Encoded {
  blob: Blob;
  format: "webp" | "jpg";
}

export function canvasToBlob(canvas: BlobCanvas, type: string, quality: number): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/**
 * Encode as WebP; a browser that cannot encode WebP silently hands back PNG (the spec's fallback), so
 * check the blob's type and use JPEG then. Either way the canvas carries no EXIF, so no GPS survives.
 */
export async function encodeImage(canvas: BlobCanvas, quality: number): Promise<Encoded> {
  const webp = await canvasToBlob(canvas, "image/webp", quality);
  if (webp !== null && webp.type === "image/webp") return { blob: webp, format: "webp" };
  const jpeg = await canvasToBlob(canvas, "image/jpeg", quality);
  if (jpeg === null) throw new Error("This browser could not encode the picture.");
  return { blob: jpeg, format: "jpg" };
}

/** Qualities tried in turn until the result fits the byte limit. */
export const QUALITY_LADDER = [0.82, 0.7, 0.55, 0.4];

export async function encodeWithin(canvas: BlobCanvas, maxBytes: number | null): Promise<Encoded> {
  let encoded: Encoded | null = null;
  for (const quality of QUALITY_LADDER) {
    encoded = await encodeImage(canvas, quality);
    if (maxBytes === null || encoded.blob.size <= maxBytes) return encoded;
  }
  return encoded as Encoded; // the smallest we could make; the policy check reports it
}
