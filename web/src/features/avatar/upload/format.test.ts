import { describe, expect, it } from "vitest";
import { looksLikeHeic, readJpegInfo, sniffFormat } from "./format";

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));

/** A JPEG header: SOI, an APP1 EXIF segment with one Orientation entry, then SOF0 with the size. */
function jpeg(orientation: number | null, width: number, height: number, little = true): Uint8Array {
  const u16 = (v: number) => (little ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  const u32 = (v: number) => (little ? [v & 0xff, (v >> 8) & 0xff, 0, 0] : [0, 0, (v >> 8) & 0xff, v & 0xff]);
  const tiff =
    orientation === null
      ? []
      : [
          ...(little ? [0x49, 0x49] : [0x4d, 0x4d]),
          ...u16(42),
          ...u32(8),
          ...u16(1),
          ...u16(0x0112),
          ...u16(3),
          ...u32(1),
          ...u16(orientation),
          0,
          0,
          ...u32(0),
        ];
  const app1 = orientation === null ? [] : [0xff, 0xe1, 0, 2 + 6 + tiff.length, ...bytes("Exif\0\0"), ...tiff];
  const sof = [
    0xff,
    0xc0,
    0,
    17,
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    3,
    ...new Array<number>(9).fill(0),
  ];
  return new Uint8Array([0xff, 0xd8, ...app1, ...sof, 0xff, 0xda]);
}

describe("sniffFormat", () => {
  it.each([
    [bytes([0xff, 0xd8, 0xff, 0xe0]), "jpeg"],
    [bytes("\x89PNG\r\n\x1a\n"), "png"],
    [bytes("RIFF", [0, 0, 0, 0], "WEBPVP8 "), "webp"],
    [bytes("GIF89a"), "gif"],
    [bytes([0, 0, 0, 24], "ftypheic", [0, 0, 0, 0]), "heic"],
    [bytes([0, 0, 0, 24], "ftypmif1", [0, 0, 0, 0]), "heic"],
    [bytes([0, 0, 0, 24], "ftypavif", [0, 0, 0, 0]), "avif"],
    [bytes("II*\0"), "tiff"],
  ])("recognizes %#", (head, format) => {
    expect(sniffFormat(head)).toBe(format);
  });

  it("says null for text and for empty files", () => {
    expect(sniffFormat(bytes("hello, this is not a picture"))).toBeNull();
    expect(sniffFormat(new Uint8Array())).toBeNull();
  });

  it("takes a HEIC hint from the name or type", () => {
    expect(looksLikeHeic("IMG_0001.HEIC", "")).toBe(true);
    expect(looksLikeHeic("photo", "image/heif")).toBe(true);
    expect(looksLikeHeic("photo.jpg", "image/jpeg")).toBe(false);
  });
});

describe("readJpegInfo", () => {
  it.each([1, 3, 6, 8])("reads orientation %i and the stored size (little-endian EXIF)", (orientation) => {
    expect(readJpegInfo(jpeg(orientation, 4000, 3000))).toEqual({ orientation, width: 4000, height: 3000 });
  });

  it("reads big-endian EXIF", () => {
    expect(readJpegInfo(jpeg(6, 640, 480, false))).toEqual({ orientation: 6, width: 640, height: 480 });
  });

  it("defaults to orientation 1 without EXIF", () => {
    expect(readJpegInfo(jpeg(null, 10, 20))).toEqual({ orientation: 1, width: 10, height: 20 });
  });

  it("ignores an out-of-range orientation", () => {
    expect(readJpegInfo(jpeg(9, 10, 20))?.orientation).toBe(1);
  });

  it("is null for non-JPEG and truncated data", () => {
    expect(readJpegInfo(bytes("\x89PNG\r\n\x1a\n"))).toBeNull();
    expect(readJpegInfo(jpeg(6, 10, 20).slice(0, 12))).toBeNull();
  });
});
