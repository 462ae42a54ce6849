import { describe, expect, it } from "vitest";
import { fromBase64url, toBase64url } from "./base64url";

const bytes = (...values: number[]) => new Uint8Array(values);

describe("base64url", () => {
  it("encodes without padding and with the URL-safe alphabet", () => {
    expect(toBase64url(bytes(0xfb, 0xff))).toBe("-_8");
    expect(toBase64url(bytes(1, 2, 3).buffer)).toBe("AQID");
    expect(toBase64url(new Uint8Array(0))).toBe("");
  });

  it("encodes only the viewed part of a buffer", () => {
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(toBase64url(view)).toBe("AQID");
  });

  it("decodes with or without padding", () => {
    expect(new Uint8Array(fromBase64url("-_8"))).toEqual(bytes(0xfb, 0xff));
    expect(new Uint8Array(fromBase64url("-_8="))).toEqual(bytes(0xfb, 0xff));
  });

  it("round-trips every byte value", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(new Uint8Array(fromBase64url(toBase64url(all)))).toEqual(all);
  });

  it("refuses standard base64 and other characters", () => {
    expect(() => fromBase64url("a+b/")).toThrow();
    expect(() => fromBase64url("a b")).toThrow();
  });
});
