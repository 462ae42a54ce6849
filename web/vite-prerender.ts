/**
 * The build's prerender step. After `vite build` has written dist/, a second, server-side build of
 * src/prerender.tsx renders each page in its PRERENDERED list with the app's own components, and the page is
 * written into dist/ inside index.html, with its own title and description. The browser paints it before any
 * script has run; main.tsx hydrates it when the page it was rendered for is the one in the address bar.
 * Nothing inline is added (no script, no style), so the Content-Security-Policy stays as it is.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import react from "@vitejs/plugin-react";
import { type Plugin, build } from "vite";
import type { Prerendered } from "./src/prerender";

interface PrerenderModule {
  PRERENDERED: Record<string, string>;
  render(path: string): Prerendered;
}

const ROOT = '<div id="root"></div>';

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function replaceOnce(html: string, pattern: RegExp | string, replacement: string, what: string): string {
  const found = typeof pattern === "string" ? html.includes(pattern) : pattern.test(html);
  if (!found) throw new Error(`prerender: index.html has no ${what}`);
  return html.replace(pattern, () => replacement);
}

/**
 * What `/u/{username}` is served (nginx's `location /u/`, `vite preview` through `previewProfilePage`): the built
 * index.html without the early download of the app's code. A profile's picture is painted by boot.ts, and the
 * app's code starts downloading once it is on screen, so the two do not share the visitor's bandwidth before it.
 */
export const PROFILE_PAGE = "u.html";
const APP_PRELOAD = /<link rel="modulepreload" crossorigin fetchpriority="low" href="[^"]+">\n?/;

export function profilePage(index: string): string {
  return replaceOnce(index, APP_PRELOAD, "", "preload of the app's code");
}

/** `vite preview` answers `/u/{username}` with PROFILE_PAGE, as nginx does. */
function previewProfilePage(): Plugin {
  return {
    name: "prerender:profile-page",
    configurePreviewServer(server) {
      server.middlewares.use((request, _response, next) => {
        if (request.url !== undefined && /^\/u\/[^/?#]+\/?(\?.*)?$/.test(request.url)) request.url = `/${PROFILE_PAGE}`;
        next();
      });
    },
  };
}

/** index.html (as built) with the page's markup in #root, marked with its path, and the page's head. */
export function prerenderedPage(template: string, path: string, { html, head }: Prerendered): string {
  let page = template;
  if (head !== null) {
    page = replaceOnce(page, /<title>[^<]*<\/title>/, `<title>${escapeHtml(head.title)}</title>`, "<title>");
    page = replaceOnce(
      page,
      /<meta\s+name="description"\s+content="[^"]*"\s*\/?>/,
      `<meta name="description" content="${escapeHtml(head.description)}" />`,
      "meta description",
    );
  }
  return replaceOnce(page, ROOT, `<div id="root" data-prerendered="${escapeHtml(path)}">${html}</div>`, ROOT);
}

/**
 * `<link rel=modulepreload fetchpriority=low>` for the app's code (main.tsx's chunk and the chunks it imports):
 * boot.ts imports it only after the first paint, but its download starts with the page's, behind the stylesheet.
 */
function preloadApp(): Plugin {
  return {
    name: "prerender:preload-app",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, { bundle, chunk }) {
        if (bundle === undefined || chunk === undefined) return [];
        const app = Object.values(bundle).find(
          (c) => c.type === "chunk" && c.facadeModuleId?.endsWith("/src/main.tsx"),
        );
        if (app === undefined || app.type !== "chunk") throw new Error("prerender: no chunk for src/main.tsx");
        return [app.fileName].map((file) => ({
          tag: "link",
          attrs: { rel: "modulepreload", crossorigin: true, fetchpriority: "low", href: `/${file}` },
          injectTo: "head" as const,
        }));
      },
    },
  };
}

export function prerender(): Plugin[] {
  return [preloadApp(), prerenderPages(), previewProfilePage()];
}

function prerenderPages(): Plugin {
  let root = "";
  let outDir = "";
  let serverBuild = false;
  return {
    name: "prerender",
    apply: "build",
    configResolved(config) {
      root = config.root;
      outDir = resolve(config.root, config.build.outDir);
      serverBuild = Boolean(config.build.ssr);
    },
    async closeBundle() {
      if (serverBuild) return;
      // Inside web/, so the built module finds react and react-dom in web/node_modules.
      const serverDir = join(root, "node_modules", ".prerender");
      await build({
        configFile: false,
        root,
        logLevel: "warn",
        plugins: [react()],
        build: {
          ssr: "src/prerender.tsx",
          outDir: serverDir,
          emptyOutDir: true,
          copyPublicDir: false,
          rolldownOptions: { output: { entryFileNames: "prerender.js" } },
        },
      });
      try {
        const server = (await import(pathToFileURL(join(serverDir, "prerender.js")).href)) as PrerenderModule;
        const template = readFileSync(join(outDir, "index.html"), "utf8");
        for (const [path, file] of Object.entries(server.PRERENDERED)) {
          writeFileSync(join(outDir, file), prerenderedPage(template, path, server.render(path)));
        }
        const index = readFileSync(join(outDir, "index.html"), "utf8");
        writeFileSync(join(outDir, PROFILE_PAGE), profilePage(index));
      } finally {
        rmSync(serverDir, { recursive: true, force: true });
      }
    },
  };
}
