import { readFileSync } from "node:fs";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";
import { prerender } from "./vite-prerender.ts";

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

const HEADERS_TEMPLATE = new URL("../deploy/nginx/templates/security-headers.conf.template", import.meta.url);

/**
 * The security headers nginx sends, read from its own template (the one definition of the policy), with the
 * `${CLOUDINARY_...}` hosts filled from this process's environment: the emulator of `make dev` by default, the
 * test stack's emulator in the browser tests (e2e/browser.py passes it).
 */
export function securityHeaders(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const emulator = `http://127.0.0.1:${env.EMULATOR_PORT ?? "8003"}`;
  const values: Record<string, string> = {
    CLOUDINARY_API_ORIGIN: env.CLOUDINARY_API_ORIGIN ?? emulator,
    CLOUDINARY_DELIVERY_ORIGINS: env.CLOUDINARY_DELIVERY_ORIGINS ?? emulator,
  };
  const headers: Record<string, string> = {};
  for (const [, name, value] of readFileSync(HEADERS_TEMPLATE, "utf8").matchAll(
    /^add_header ([\w-]+) "([^"]*)" always;$/gm,
  )) {
    headers[name] = value.replace(/\$\{(\w+)\}/g, (_, key: string) => {
      if (!(key in values)) throw new Error(`${HEADERS_TEMPLATE.pathname}: unknown variable ${key}`);
      return values[key];
    });
  }
  return headers;
}

export default defineConfig(({ command }) => {
  // Only the servers need the headers; `vite build` (also in web/Dockerfile, where deploy/ is not copied) does not.
  const headers = command === "serve" ? securityHeaders() : {};
  // The dev server's page has an inline script (React Fast Refresh's preamble) and injects CSS as <style>
  // elements, which the policy forbids: `make dev` sends every header but the CSP. `vite preview` serves the
  // built app, as nginx does, and sends them all.
  const devHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== "Content-Security-Policy"));
  return {
    plugins: [react(), ...prerender()],
    server: {
      port: Number(process.env.WEB_PORT ?? 8080),
      strictPort: true,
      proxy,
      headers: devHeaders,
    },
    // `vite preview` of the built app (the browser end-to-end test) keeps the same one-origin paths.
    preview: {
      proxy,
      headers,
    },
    test: {
      environment: "jsdom",
    },
  };
});
