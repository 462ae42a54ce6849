import { describe, expect, it } from "vitest";
import {
  applyMatrix,
  centeredSquare,
  clampCrop,
  fitWithin,
  needsManualOrientation,
  orientationMatrix,
  orientedSize,
  outputSize,
  panCrop,
  zoomCrop,
} from "./geometry";

describe("fitWithin", () => {
  it("downscales a 12-megapixel photo to 2048 on the long side", () => {
    expect(fitWithin({ width: 4000, height: 3000 }, 2048)).toEqual({ width: 2048, height: 1536 });
    expect(fitWithin({ width: 3000, height: 4000 }, 2048)).toEqual({ width: 1536, height: 2048 });
  });

  it("never enlarges", () => {
    expect(fitWithin({ width: 800, height: 600 }, 2048)).toEqual({ width: 800, height: 600 });
    expect(fitWithin({ width: 2048, height: 2048 }, 2048)).toEqual({ width: 2048, height: 2048 });
  });

  it("keeps at least one pixel on a very thin picture", () => {
    expect(fitWithin({ width: 10000, height: 2 }, 2048)).toEqual({ width: 2048, height: 1 });
  });

  it("sizes the square crop of a phone photo to the edge the service asks for (1024 by default)", () => {
    const portrait = { width: 3000, height: 4000 };
    expect(outputSize(portrait, centeredSquare(portrait), 1024)).toEqual({ width: 1024, height: 1024 });
    // Zoomed in past the edge: the crop is sent at its own size, never enlarged.
    expect(outputSize(portrait, { x: 1000, y: 1000, size: 700 }, 1024)).toEqual({ width: 700, height: 700 });
    expect(outputSize(portrait, null, 1024)).toEqual({ width: 768, height: 1024 });
  });

  it("sizes a square crop", () => {
    expect(outputSize({ width: 3000, height: 4000 }, { x: 0, y: 500, size: 3000 }, 2048)).toEqual({
      width: 2048,
      height: 2048,
    });
    expect(outputSize({ width: 300, height: 400 }, { x: 0, y: 50, size: 300 }, 2048)).toEqual({
      width: 300,
      height: 300,
    });
  });
});

describe("orientation", () => {
  const w = 40;
  const h = 30;
  const corners: [number, number][] = [
    [0, 0],
    [w, 0],
    [0, h],
    [w, h],
  ];

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("orientation %i maps the stored picture exactly onto the display box", (o) => {
    const m = orientationMatrix(o, w, h);
    const mapped = corners.map(([x, y]) => applyMatrix(m, x, y));
    const box = orientedSize({ width: w, height: h }, o);
    expect(Math.min(...mapped.map((p) => p[0]))).toBe(0);
    expect(Math.min(...mapped.map((p) => p[1]))).toBe(0);
    expect(Math.max(...mapped.map((p) => p[0]))).toBe(box.width);
    expect(Math.max(...mapped.map((p) => p[1]))).toBe(box.height);
  });

  it("orientation 6 turns the stored left edge into the top (a phone held upright)", () => {
    const m = orientationMatrix(6, w, h);
    expect(orientedSize({ width: w, height: h }, 6)).toEqual({ width: h, height: w });
    expect(applyMatrix(m, 0, 0)).toEqual([h, 0]); // stored top-left → display top-right
    expect(applyMatrix(m, 0, h)).toEqual([0, 0]); // stored bottom-left → display top-left
    expect(applyMatrix(m, w, 0)).toEqual([h, w]); // stored top-right → display bottom-right
  });

  it("orientation 8 is the opposite quarter turn and 3 is upside down", () => {
    expect(applyMatrix(orientationMatrix(8, w, h), 0, 0)).toEqual([0, w]);
    expect(applyMatrix(orientationMatrix(3, w, h), 0, 0)).toEqual([w, h]);
  });

  it("mirrors for 2 and 4", () => {
    expect(applyMatrix(orientationMatrix(2, w, h), 0, 0)).toEqual([w, 0]);
    expect(applyMatrix(orientationMatrix(4, w, h), 0, 0)).toEqual([0, h]);
  });

  it("leaves orientation 1 alone", () => {
    expect(orientationMatrix(1, w, h)).toEqual([1, 0, 0, 1, 0, 0]);
  });
});

describe("needsManualOrientation", () => {
  const stored = { width: 4000, height: 3000 };

  it("does nothing when the browser already turned a quarter-turned photo", () => {
    expect(needsManualOrientation(6, stored, { width: 3000, height: 4000 }, false)).toBe(false);
  });

  it("turns it when the decoded size is still the stored one", () => {
    expect(needsManualOrientation(6, stored, { width: 4000, height: 3000 }, true)).toBe(true);
  });

  it("trusts the browser's support for the orientations that keep the size", () => {
    expect(needsManualOrientation(3, stored, stored, true)).toBe(false);
    expect(needsManualOrientation(3, stored, stored, false)).toBe(true);
  });

  it("never for orientation 1 or garbage", () => {
    expect(needsManualOrientation(1, stored, stored, false)).toBe(false);
    expect(needsManualOrientation(0, stored, stored, false)).toBe(false);
    expect(needsManualOrientation(12, stored, stored, false)).toBe(false);
  });
});

describe("square crop", () => {
  const portrait = { width: 3000, height: 4000 };

  it("starts as the largest centred square", () => {
    expect(centeredSquare(portrait)).toEqual({ x: 0, y: 500, size: 3000 });
    expect(centeredSquare({ width: 4000, height: 3000 })).toEqual({ x: 500, y: 0, size: 3000 });
  });

  it("stays inside the picture when dragged past an edge", () => {
    const crop = centeredSquare(portrait);
    expect(panCrop(crop, portrait, 0, 10_000, 300)).toEqual({ x: 0, y: 0, size: 3000 });
    expect(panCrop(crop, portrait, 0, -10_000, 300)).toEqual({ x: 0, y: 1000, size: 3000 });
  });

  it("moves by the drag scaled to picture pixels", () => {
    const crop = { x: 1000, y: 1000, size: 1000 };
    expect(panCrop(crop, portrait, 25, -50, 250)).toEqual({ x: 900, y: 1200, size: 1000 });
  });

  it("zooms about the centre and keeps the square shape", () => {
    const zoomed = zoomCrop(centeredSquare(portrait), portrait, 2);
    expect(zoomed).toEqual({ x: 750, y: 1250, size: 1500 });
    expect(zoomCrop(zoomed, portrait, 1)).toEqual({ x: 0, y: 500, size: 3000 });
  });

  it("clamps the size to the short side", () => {
    expect(clampCrop({ x: -5, y: -5, size: 99999 }, portrait)).toEqual({ x: 0, y: 0, size: 3000 });
  });
});
