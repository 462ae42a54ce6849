import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// One origin for the page and both APIs, so neither service needs CORS (DESIGN.md).
// `make dev` passes the services' addresses; the defaults are the documented dev ports.
const authUrl = process.env.AUTH_URL ?? "http://127.0.0.1:8001";
const profileUrl = process.env.PROFILE_URL ?? "http://127.0.0.1:8002";

// Vite tries these prefixes in order and takes the first match, so profile-service's two admin prefixes come
// before the auth-service catch-all "/admin/" (nginx picks the longest prefix instead: deploy/nginx/default.conf).
const proxy = {
  "/auth": { target: authUrl, changeOrigin: false },
  "/.well-known": { target: authUrl, changeOrigin: false },
  "/profiles": { target: profileUrl, changeOrigin: false },
  "/admin/moderation": { target: profileUrl, changeOrigin: false },
  "/admin/profiles/": { target: profileUrl, changeOrigin: false },
  "/admin/": { target: authUrl, changeOrigin: false },
};

export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.WEB_PORT ?? 8080),
    strictPort: true,
    proxy,
  },
  // `vite preview` of the built app (the browser end-to-end test) keeps the same one-origin paths.
  preview: {
    proxy,
  },
  test: {
    environment: "jsdom",
  },
});
