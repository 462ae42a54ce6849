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
  /** The page's title and description; null keeps index.html's own (the app's, for every path it is served for). */
  head: Head | null;
}

export function render(path: string): Prerendered {
  const html = renderToString(
    <StrictMode>
      <StaticLocation value={path}>
        <App />
      </StaticLocation>
    </StrictMode>,
  );
  // index.html is also what every path without a file of its own is served (until the app renders, its title is
  // what a tab shows and a crawler without JavaScript reads), so it keeps the app's own head.
  return { html, head: PRERENDERED[path] === "index.html" ? null : pageHead(path) };
}
