/** What a file really is, from its first bytes (a file's name and MIME type are only hints). */

export type ImageFormat = "jpeg" | "png" | "webp" | "gif" | "heic" | "avif" | "bmp" | "tiff";

const ascii = (b: Uint8Array, at: number, text: string): boolean =>
  b.length >= at + text.length && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (ascii(b, 0, "\x89PNG")) return "png";
  if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) return "webp";
  if (ascii(b, 0, "GIF8")) return "gif";
  if (ascii(b, 0, "BM")) return "bmp";
  if (ascii(b, 0, "II*\0") || ascii(b, 0, "MM\0*")) return "tiff";
  if (ascii(b, 4, "ftyp")) {
    const brand = String.fromCharCode(...b.slice(8, 12));
    if (["avif", "avis"].includes(brand)) return "avif";
    if (["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].includes(brand)) return "heic";
  }
  return null;
}

/** A HEIC/HEIF the name or type claims, for when sniffing alone cannot be used (an empty read). */
export function looksLikeHeic(name: string, type: string): boolean {
  return /image\/hei[cf]/i.test(type) || /\.hei[cf]$/i.test(name);
}

export interface JpegInfo {
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  /** Stored (unrotated) pixel size, from the SOF marker. */
  width: number;
  height: number;
}

/** Orientation and stored size of a JPEG, read from its header; null when it is not a readable JPEG. */
export function readJpegInfo(b: Uint8Array): JpegInfo | null {
  if (sniffFormat(b) !== "jpeg") return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let orientation = 1;
  let offset = 2;
  while (offset + 4 <= b.length) {
    if (b[offset] !== 0xff) return null;
    const marker = b[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (marker === 0xe1 && ascii(b, offset + 4, "Exif\0\0")) {
      orientation = readExifOrientation(view, offset + 10, Math.min(offset + 2 + length, b.length)) ?? 1;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && offset + 9 <= b.length) {
      return { orientation, height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    if (marker === 0xda) return null; // start of scan before a frame header
    offset += 2 + length;
  }
  return null;
}

function readExifOrientation(view: DataView, tiff: number, end: number): number | null {
  if (tiff + 8 > end) return null;
  const little = view.getUint16(tiff) === 0x4949;
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return null;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}
