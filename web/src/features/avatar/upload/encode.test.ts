import { describe, expect, it } from "vitest";
import { type BlobCanvas, encodeImage, encodeWithin } from "./encode";

/** A canvas that encodes to a blob of `sizeAt(quality)` bytes, or PNG when it cannot do WebP. */
function fakeCanvas(webp: boolean, sizeAt: (quality: number) => number = () => 100): BlobCanvas & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    toBlob(callback, type = "image/png", quality = 0.92) {
      calls.push(`${type}@${quality}`);
      const actual = type === "image/webp" && !webp ? "image/png" : type;
      callback(new Blob([new Uint8Array(sizeAt(quality))], { type: actual }));
    },
  };
}

describe("encodeImage", () => {
  it("uses WebP where the browser can encode it", async () => {
    const encoded = await encodeImage(fakeCanvas(true), 0.8);
    expect(encoded.format).toBe("webp");
    expect(encoded.blob.type).toBe("image/webp");
  });

  it("falls back to JPEG when WebP comes back as PNG", async () => {
    const canvas = fakeCanvas(false);
    const encoded = await encodeImage(canvas, 0.8);
    expect(encoded.format).toBe("jpg");
    expect(canvas.calls).toEqual(["image/webp@0.8", "image/jpeg@0.8"]);
  });
});

describe("encodeWithin", () => {
  it("lowers the quality until the file fits the limit", async () => {
    const canvas = fakeCanvas(true, (q) => Math.round(q * 1000));
    const encoded = await encodeWithin(canvas, 600);
    expect(encoded.blob.size).toBe(550);
    expect(canvas.calls).toEqual(["image/webp@0.82", "image/webp@0.7", "image/webp@0.55"]);
  });

  it("stops at the first quality without a limit", async () => {
    const canvas = fakeCanvas(true);
    await encodeWithin(canvas, null);
    expect(canvas.calls).toHaveLength(1);
  });

  it("hands back the smallest attempt when nothing fits", async () => {
    const encoded = await encodeWithin(
      fakeCanvas(true, (q) => Math.round(q * 1000)),
      10,
    );
    expect(encoded.blob.size).toBe(400);
  });
});
