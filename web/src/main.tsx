/** The app, imported by boot.ts once the page has painted. */
import { StrictMode, startTransition } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";
import { App } from "./App";

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");
const app = (
  <StrictMode>
    <App />
  </StrictMode>
);
// The build prerendered this very page (vite-prerender.ts): adopt its HTML. Any other path was served index.html
// (the "/" page) as a placeholder, which the app's own first render replaces.
// As a transition, the first render yields to the browser every few milliseconds instead of holding the main
// thread for all of it (the page is already on screen, and a click meanwhile is still handled first).
startTransition(() => {
  if (root.dataset.prerendered === window.location.pathname) hydrateRoot(root, app);
  else createRoot(root).render(app);
});
