import { describe, expect, it } from "vitest";
import {
  BUDGET_FLOOR_QUALITY,
  type BlobCanvas,
  QUALITY_LADDER,
  byteBudget,
  encodeImage,
  encodeWithin,
  goodEnough,
} from "./encode";

/** A canvas of `side`² pixels that encodes to a blob of `sizeAt(quality)` bytes, or PNG when it cannot do WebP. */
function fakeCanvas(
  webp: boolean,
  sizeAt: (quality: number) => number = () => 100,
  side = 1024,
): BlobCanvas & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    width: side,
    height: side,
    toBlob(callback, type = "image/png", quality = 0.92) {
      calls.push(`${type}@${quality}`);
      const actual = type === "image/webp" && !webp ? "image/png" : type;
      callback(new Blob([new Uint8Array(sizeAt(quality))], { type: actual }));
    },
  };
}

const KB = 1000;

describe("encodeImage", () => {
  it("uses WebP where the browser can encode it", async () => {
    const encoded = await encodeImage(fakeCanvas(true), 0.8);
    expect(encoded.format).toBe("webp");
    expect(encoded.blob.type).toBe("image/webp");
    expect(encoded.quality).toBe(0.8);
  });

  it("falls back to JPEG when WebP comes back as PNG", async () => {
    const canvas = fakeCanvas(false);
    const encoded = await encodeImage(canvas, 0.8);
    expect(encoded.format).toBe("jpg");
    expect(canvas.calls).toEqual(["image/webp@0.8", "image/jpeg@0.8"]);
  });
});

describe("byteBudget", () => {
  it("is about 0.35 bytes a pixel: 367 kB for 1024 px, four times that for 2048", () => {
    expect(byteBudget(1024, 1024)).toBe(367_002);
    expect(byteBudget(2048, 2048)).toBe(1_468_006);
    expect(byteBudget(1024, 768)).toBe(275_251);
  });
});

describe("goodEnough", () => {
  it("takes a picture within budget and the server's limit", () => {
    expect(goodEnough(300 * KB, 0.82, 367 * KB, 5_000_000)).toBe(true);
    expect(goodEnough(400 * KB, 0.82, 367 * KB, 5_000_000)).toBe(false);
  });

  it("stops stepping down for the budget at the floor quality", () => {
    expect(goodEnough(400 * KB, BUDGET_FLOOR_QUALITY, 367 * KB, 5_000_000)).toBe(true);
    expect(goodEnough(400 * KB, BUDGET_FLOOR_QUALITY, 367 * KB, null)).toBe(true);
  });

  it("never takes a picture over the server's limit, whatever its quality", () => {
    expect(goodEnough(400 * KB, 0.4, 367 * KB, 300 * KB)).toBe(false);
  });
});

describe("encodeWithin", () => {
  const linear = (q: number) => Math.round(q * 500 * KB); // 410 kB at 0.82, 350 kB at 0.7

  it("keeps 0.82, the quality of every upload before byte budgets, when the picture fits", async () => {
    const canvas = fakeCanvas(true, () => 250 * KB);
    const encoded = await encodeWithin(canvas, 5_000_000);
    expect(encoded.quality).toBe(0.82);
    expect(canvas.calls).toEqual(["image/webp@0.82"]);
  });

  it("lowers the quality until the file fits the budget of its size", async () => {
    const canvas = fakeCanvas(true, linear);
    const encoded = await encodeWithin(canvas, 5_000_000);
    expect(encoded.blob.size).toBe(350 * KB);
    expect(canvas.calls).toEqual(["image/webp@0.82", "image/webp@0.76", "image/webp@0.7"]);
  });

  it("scales the budget with the edge: the same bytes fit a 2048 px picture at 0.82", async () => {
    const canvas = fakeCanvas(true, linear, 2048);
    expect((await encodeWithin(canvas, 5_000_000)).quality).toBe(0.82);
  });

  it("stops at the floor for the budget alone", async () => {
    const canvas = fakeCanvas(true, () => 900 * KB);
    expect((await encodeWithin(canvas, 5_000_000)).quality).toBe(BUDGET_FLOOR_QUALITY);
    expect(canvas.calls).toHaveLength(QUALITY_LADDER.indexOf(BUDGET_FLOOR_QUALITY) + 1);
  });

  it("goes below the floor to fit the server's limit", async () => {
    const canvas = fakeCanvas(true, linear);
    const encoded = await encodeWithin(canvas, 260 * KB);
    expect(encoded.quality).toBe(0.5);
  });

  it("hands back the smallest attempt when nothing fits", async () => {
    const encoded = await encodeWithin(
      fakeCanvas(true, (q) => Math.round(q * 1000)),
      10,
    );
    expect(encoded.blob.size).toBe(400);
  });
});
