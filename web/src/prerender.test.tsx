import { StrictMode, act } from "react";
import { hydrateRoot } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { PRERENDERED, render } from "./prerender";
import { prerenderedPage, profilePage } from "../vite-prerender";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
  window.history.replaceState(null, "", "/");
});

describe("the prerendered pages", () => {
  it.each(Object.keys(PRERENDERED))("%s hydrates without a mismatch", async (path) => {
    // The first refresh stays unanswered: hydration is checked against the session still loading.
    vi.stubGlobal("fetch", () => new Promise<Response>(() => undefined));
    window.history.replaceState(null, "", path);
    const container = document.createElement("div");
    container.innerHTML = render(path).html;
    document.body.append(container);
    const markup = container.innerHTML;
    const recoverable: unknown[] = [];
    const root = await act(async () =>
      hydrateRoot(
        container,
        <StrictMode>
          <App />
        </StrictMode>,
        { onRecoverableError: (error) => recoverable.push(error) },
      ),
    );
    expect(recoverable).toEqual([]);
    expect(container.querySelector("main")).not.toBeNull();
    // Only attributes may change once hydrated (the forms come alive); the page's text stays as it was painted.
    expect(container.textContent).toBe(new DOMParser().parseFromString(markup, "text/html").body.textContent);
    act(() => root.unmount());
  });

  it("renders a form read-only, its button disabled, until the app has taken it over", () => {
    const html = render("/register").html;
    expect(html.match(/<input [^>]*readOnly=""/g)).toHaveLength(3);
    expect(html).toMatch(/<button [^>]*type="submit" disabled=""/);
  });

  it("writes each page's title and description into index.html", () => {
    const template =
      '<html><head><title>Profile pictures</title>\n<meta\n  name="description"\n  content="The app."\n/></head>' +
      '<body><div id="root"></div></body></html>';
    const page = prerenderedPage(template, "/forgot-password", render("/forgot-password"));
    expect(page).toContain("<title>Forgot your password? · Profile pictures</title>");
    expect(page).toContain('<meta name="description" content="Forgot your password? Enter your e-mail address');
    expect(page).toContain('<div id="root" data-prerendered="/forgot-password"><a href="#main"');
  });

  it("keeps index.html's own title and description: every other path is served it too", () => {
    const template =
      '<title>Profile pictures</title><meta name="description" content="The app." /><div id="root"></div>';
    const page = prerenderedPage(template, "/", render("/"));
    expect(page).toContain("<title>Profile pictures</title>");
    expect(page).toContain('content="The app."');
    expect(page).toContain('<div id="root" data-prerendered="/">');
  });

  it("serves a public profile index.html without the early download of the app's code, and nothing else less", () => {
    const index =
      '<link rel="modulepreload" crossorigin href="/assets/problem-1.js">\n' +
      '<link rel="modulepreload" crossorigin fetchpriority="low" href="/assets/main-1.js">\n' +
      '<div id="root" data-prerendered="/"></div>';
    expect(profilePage(index)).toBe(
      '<link rel="modulepreload" crossorigin href="/assets/problem-1.js">\n<div id="root" data-prerendered="/"></div>',
    );
    expect(() => profilePage('<div id="root"></div>')).toThrow(/preload of the app's code/);
  });

  it("refuses a template it cannot fill", () => {
    expect(() => prerenderedPage("<title>x</title>", "/register", render("/register"))).toThrow(/meta description/);
  });
});
