// THE COMPARISON, NOT PART OF THE PRODUCT. The seeds' way of taking a profile picture, as their tutorials write
// it: the browser posts the file to this server, multer streams it through multer-storage-cloudinary, which
// uploads it to Cloudinary with the SDK. bench/seed_comparison.py measures it beside our direct upload.
//
// CLOUDINARY_URL (read by the SDK at import, `?upload_prefix=` pointing it at the emulator) and SEED_PORT.
import express from "express";
import multer from "multer";
import { v2 as cloudinary } from "cloudinary";
import { CloudinaryStorage } from "multer-storage-cloudinary";

// The same work at Cloudinary as our signed uploads ask for: the incoming cap and strip, three face-cropped
// avatar sizes rendered after the upload, the same formats. Only where the bytes travel differs.
const storage = new CloudinaryStorage({
  cloudinary,
  params: {
    folder: "avatars",
    allowed_formats: ["jpg", "png", "webp"],
    transformation: [{ width: 2048, height: 2048, crop: "limit" }, { flags: "force_strip" }],
    eager: [128, 256, 512].map((size) => ({ width: size, height: size, crop: "fill", gravity: "face" })),
    eager_async: true,
  },
});
const upload = multer({ storage, limits: { fileSize: 10 * 1024 * 1024 } });

const app = express();
app.get("/health", (_req, res) => res.json({ status: "ok" }));
app.post("/avatar", upload.single("avatar"), (req, res) => {
  // multer-storage-cloudinary puts the upload's secure_url in `path` and its public_id in `filename`.
  res.json({ url: req.file.path, public_id: req.file.filename });
});
app.use((err, _req, res, _next) => {
  res.status(err.http_code || 400).json({ error: String(err.message || err) });
});

const port = Number(process.env.SEED_PORT || 8090);
app.listen(port, "127.0.0.1", () => console.log(`seed upload server on 127.0.0.1:${port}`));
