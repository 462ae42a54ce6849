import { describe, expect, it } from "vitest";
import { qrImageSource } from "./qr";

// What segno's svg_inline draws.
const SEGNO =
  '<svg width="116" height="116" class="segno"><path transform="scale(4)" stroke="#000" class="qrline" d="M2 2.5h7m1 0h1"/></svg>';
const NS =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/><path d="M0 0h1v1H0z"/></svg>';

const decode = (src: string) => decodeURIComponent(src.slice(src.indexOf(",") + 1));

describe("qrImageSource", () => {
  it("turns a plain SVG drawing into a data URL for an <img>", () => {
    const src = qrImageSource(NS);
    expect(src?.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
    expect(decode(src ?? "")).toContain("<path");
  });

  it("accepts the service's segno markup without a namespace declaration", () => {
    // segno's inline SVG omits xmlns; parsed as SVG it must still come out as an SVG image.
    const src = qrImageSource(SEGNO);
    expect(src).not.toBeNull();
    expect(decode(src ?? "")).toContain('xmlns="http://www.w3.org/2000/svg"');
    // …and with a viewBox, so the <img> scales it to its box.
    expect(decode(src ?? "")).toContain('viewBox="0 0 116 116"');
  });

  it.each([
    ["a script", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ["an event handler", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><path d="M0 0"/></svg>'],
    [
      "foreign HTML",
      '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>',
    ],
    [
      "an external reference",
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/x.svg#a"/></svg>',
    ],
    ["a CSS url()", '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://evil.example/)"/></svg>'],
    ["not SVG", "<html><body>hi</body></html>"],
    ["broken markup", '<svg xmlns="http://www.w3.org/2000/svg"><path></svg>'],
    ["nothing", ""],
    ["a script without a namespace", '<svg width="1" height="1"><script>alert(1)</script></svg>'],
  ])("refuses %s", (_what, markup) => {
    expect(qrImageSource(markup)).toBeNull();
  });
});
