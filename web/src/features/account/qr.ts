/**
 * The enrolment QR code arrives as SVG markup drawn by the auth service. It is never put into the page as
 * HTML: it is parsed as XML, checked to be a plain `<svg>` drawing (no script, no foreign content, no event
 * handlers, no external references), and then shown through `<img src="data:image/svg+xml,…">`, where
 * a browser runs no script and loads nothing even if something slipped through.
 */

const SVG_NS = "http://www.w3.org/2000/svg";
// What a QR code drawing needs (segno draws <svg><path/></svg>; other generators use rect/g).
const ALLOWED = new Set(["svg", "path", "rect", "g", "title", "desc", "defs", "use"]);
const MAX_LENGTH = 200_000;

export function qrImageSource(markup: string): string | null {
  if (typeof markup !== "string" || markup.length === 0 || markup.length > MAX_LENGTH) return null;
  // Inline SVG for HTML (segno's `svg_inline`) leaves out the namespace that standalone SVG needs.
  const source = /^\s*<svg\b(?![^>]*\sxmlns=)/.test(markup)
    ? markup.replace(/^\s*<svg\b/, `<svg xmlns="${SVG_NS}"`)
    : markup;
  let doc: Document;
  try {
    doc = new DOMParser().parseFromString(source, "image/svg+xml");
  } catch {
    return null;
  }
  const root = doc.documentElement;
  if (!root || root.localName !== "svg" || root.namespaceURI !== SVG_NS) return null;
  if (doc.getElementsByTagName("parsererror").length > 0) return null;
  for (const element of [root, ...Array.from(root.getElementsByTagName("*"))]) {
    if (element.namespaceURI !== SVG_NS || !ALLOWED.has(element.localName)) return null;
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) return null;
      if ((name === "href" || name.endsWith(":href")) && !attribute.value.startsWith("#")) return null;
      if (/url\s*\(\s*['"]?(?!#)/i.test(attribute.value)) return null;
    }
  }
  // Without a viewBox an <img> would not scale the drawing to its box: derive it from width and height.
  const width = Number.parseFloat(root.getAttribute("width") ?? "");
  const height = Number.parseFloat(root.getAttribute("height") ?? "");
  if (!root.hasAttribute("viewBox") && width > 0 && height > 0) root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const clean = new XMLSerializer().serializeToString(root);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(clean)}`;
}
