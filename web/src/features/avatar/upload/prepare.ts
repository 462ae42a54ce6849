/** Browser side of preparing a photo: decode, orient, crop, downscale, re-encode, check against policy. */
import { UploadError } from "./errors";
import { encodeWithin } from "./encode";
import { type ImageFormat, looksLikeHeic, readJpegInfo, sniffFormat } from "./format";
import { type Crop, type Size, needsManualOrientation, orientationMatrix, orientedSize, outputSize } from "./geometry";
import { type Policy, checkPolicy, uploadEdge } from "./policy";

export interface Decoded {
  kind: "decoded";
  file: File;
  format: ImageFormat | null;
  bitmap: ImageBitmap;
  /** Orientation we still apply ourselves (1 when the browser already did). */
  orientation: number;
  /** Display size, after orientation. */
  size: Size;
  previewUrl: string;
}

/** A HEIC the browser cannot decode: sent as it is, Cloudinary converts it. */
export interface Passthrough {
  kind: "passthrough";
  file: File;
  format: "heic";
}

export type Source = Decoded | Passthrough;

export interface Prepared {
  blob: Blob;
  filename: string;
  format: string;
  width: number | null;
  height: number | null;
  originalBytes: number;
}

const browserAppliesOrientation = (): boolean =>
  typeof CSS !== "undefined" && typeof CSS.supports === "function" && CSS.supports("image-orientation", "from-image");

export async function decodeFile(file: File): Promise<Source> {
  const head = new Uint8Array(await file.slice(0, 512 * 1024).arrayBuffer());
  const format = sniffFormat(head);
  const heic = format === "heic" || (format === null && looksLikeHeic(file.name, file.type));
  if (format === null && !heic && !file.type.startsWith("image/")) throw new UploadError("not-image");
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    if (heic) return { kind: "passthrough", file, format: "heic" };
    if (format === null && !file.type.startsWith("image/")) throw new UploadError("not-image");
    throw new UploadError(format === null ? "not-image" : "unsupported-format", format?.toUpperCase() ?? null);
  }
  const jpeg = format === "jpeg" ? readJpegInfo(head) : null;
  const decoded = { width: bitmap.width, height: bitmap.height };
  const orientation =
    jpeg && needsManualOrientation(jpeg.orientation, jpeg, decoded, browserAppliesOrientation()) ? jpeg.orientation : 1;
  const size = orientedSize(decoded, orientation);
  const previewUrl = URL.createObjectURL(await renderBlob(bitmap, orientation, null, size, 1024, "image/jpeg"));
  return { kind: "decoded", file, format, bitmap, orientation, size, previewUrl };
}

export function release(source: Source | null): void {
  if (source?.kind === "decoded") {
    source.bitmap.close();
    URL.revokeObjectURL(source.previewUrl);
  }
}

/** Draw the (oriented, cropped) picture into a canvas whose long side is at most `maxEdge`. */
function draw(
  bitmap: ImageBitmap,
  orientation: number,
  crop: Crop | null,
  size: Size,
  maxEdge: number,
): HTMLCanvasElement {
  const out = outputSize(size, crop, maxEdge);
  const region = crop ?? { x: 0, y: 0, size: 0 };
  const regionSize = crop ? { width: crop.size, height: crop.size } : size;
  const canvas = document.createElement("canvas");
  canvas.width = out.width;
  canvas.height = out.height;
  const ctx = canvas.getContext("2d");
  if (ctx === null) throw new Error("This browser cannot draw pictures.");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.fillStyle = "#fff"; // transparent PNGs become white rather than black in JPEG
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.scale(out.width / regionSize.width, out.height / regionSize.height);
  ctx.translate(-region.x, -region.y);
  ctx.transform(...orientationMatrix(orientation, bitmap.width, bitmap.height));
  ctx.drawImage(bitmap, 0, 0);
  return canvas;
}

async function renderBlob(
  bitmap: ImageBitmap,
  orientation: number,
  crop: Crop | null,
  size: Size,
  maxEdge: number,
  type: string,
): Promise<Blob> {
  const canvas = draw(bitmap, orientation, crop, size, maxEdge);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), type, 0.8),
  );
}

/** Produce the file to upload, then check it against the server's policy (after compressing, on purpose). */
export async function prepareUpload(source: Source, crop: Crop | null, policy: Policy): Promise<Prepared> {
  if (source.kind === "passthrough") {
    const prepared: Prepared = {
      blob: source.file,
      filename: source.file.name || "avatar.heic",
      format: "heic",
      width: null,
      height: null,
      originalBytes: source.file.size,
    };
    const problem = checkPolicy({ bytes: prepared.blob.size, format: "heic", width: null, height: null }, policy);
    if (problem) throw problem;
    return prepared;
  }
  // Downscaled to the edge the service asks for (twice the largest size it serves): more pixels reach no viewer.
  const canvas = draw(source.bitmap, source.orientation, crop, source.size, uploadEdge(policy));
  const encoded = await encodeWithin(canvas, policy.maxBytes);
  const prepared: Prepared = {
    blob: encoded.blob,
    filename: `avatar.${encoded.format}`,
    format: encoded.format,
    width: canvas.width,
    height: canvas.height,
    originalBytes: source.file.size,
  };
  const problem = checkPolicy(
    { bytes: prepared.blob.size, format: encoded.format, width: canvas.width, height: canvas.height },
    policy,
  );
  if (problem) throw problem;
  return prepared;
}
