// The official Node SDK against a fresh emulator (make fidelity starts it and sets CLOUDINARY_URL with
// upload_prefix and EMULATOR_URL). Only the SDK's own calls: sign, upload, resource get, delivery URL.
import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";

import { v2 as cloudinary } from "cloudinary";

// A 4x3 red PNG, built here so the suite needs no files.
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(
    Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([255, 0, 0]))])),
  );
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const dataUri = `data:image/png;base64,${png(4, 3).toString("base64")}`;

test("signed upload answers what the SDK expects and its response signature verifies", async () => {
  const result = await cloudinary.uploader.upload(dataUri, { public_id: "node_sdk_1", tags: ["node", "sdk"] });
  assert.equal(result.public_id, "node_sdk_1");
  assert.deepEqual([result.width, result.height, result.format], [4, 3, "png"]);
  assert.deepEqual(result.tags, ["node", "sdk"]);
  const expected = cloudinary.utils.api_sign_request(
    { public_id: result.public_id, version: result.version },
    cloudinary.config().api_secret,
  );
  assert.equal(result.signature, expected);
});

test("a bad signature is refused with Cloudinary's error shape", async () => {
  const saved = cloudinary.config().api_secret;
  cloudinary.config({ api_secret: "wrong-secret" });
  try {
    await assert.rejects(cloudinary.uploader.upload(dataUri, { public_id: "node_sdk_bad" }), (error) => {
      assert.equal(error.http_code, 401);
      assert.match(error.message, /Invalid Signature/);
      return true;
    });
  } finally {
    cloudinary.config({ api_secret: saved });
  }
});

test("resource get returns the uploaded asset", async () => {
  const uploaded = await cloudinary.uploader.upload(dataUri, { public_id: "node_sdk_2" });
  const resource = await cloudinary.api.resource("node_sdk_2");
  assert.equal(resource.asset_id, uploaded.asset_id);
  assert.equal(resource.version, uploaded.version);
  assert.equal(resource.bytes, uploaded.bytes);
});

test("the delivery URL the SDK builds names the asset the emulator serves", async () => {
  const uploaded = await cloudinary.uploader.upload(dataUri, { public_id: "node_sdk_3" });
  const built = cloudinary.url("node_sdk_3", { version: uploaded.version, format: "png", width: 2, crop: "scale" });
  const path = new URL(built).pathname;
  const response = await fetch(process.env.EMULATOR_URL + path);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/png");
  const original = await fetch(uploaded.secure_url);
  assert.equal(original.status, 200);
});
