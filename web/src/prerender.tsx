/**
 * The build's server-side entry (vite-prerender.ts): the public pages that look the same to every visitor, as the
 * app first renders them in a browser (the session still loading), so their HTML paints before any script runs.
 */
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { App } from "./App";
import { type Head, pageHead } from "./head";
import { StaticLocation } from "./router";

/**
 * Each prerendered path and the file it becomes in dist/. "/" is index.html, which is also what every other path
 * is served (the header and "Loading…": the first render of the signed-in pages and public profiles too).
 */
export const PRERENDERED: Record<string, string> = {
  "/": "index.html",
  "/register": "register.html",
  "/forgot-password": "forgot-password.html",
};

export interface Prerendered {
  html: string;
  head: Head;
}

export function render(path: string): Prerendered {
  const html = renderToString(
    <StrictMode>
      <StaticLocation value={path}>
        <App />
      </StaticLocation>
    </StrictMode>,
  );
  return { html, head: pageHead(path) };
}
