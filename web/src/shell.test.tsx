import { readFileSync } from "node:fs";
import { join } from "node:path";
import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { Header } from "./components/Header";
import { type Session, SessionContext } from "./session";

// Vitest runs in web/. The formatter's line breaks (and their indentation) fall between tags or inside them, where
// they render as nothing (between flex items, around the block-level header).
const html = readFileSync(join(process.cwd(), "index.html"), "utf8").replace(/\s*\n\s*/g, "");

describe("index.html's shell", () => {
  it("is the skip link and header the app renders while the session loads", async () => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
    const loading = { status: "loading", user: null, profile: null } as unknown as Session;
    const container = document.createElement("div");
    const root = createRoot(container);
    await act(async () => {
      root.render(
        <SessionContext.Provider value={loading}>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <Header />
        </SessionContext.Provider>,
      );
    });
    const shell = /<div id="root">([\s\S]*?)<\/div><script/.exec(html)?.[1];
    expect(shell).toBe(container.innerHTML);
    root.unmount();
  });
});
