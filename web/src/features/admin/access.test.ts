import { describe, expect, it } from "vitest";
import { CONSOLE_PAGES, isAdmin } from "./access";

describe("the console's access", () => {
  it("is for role admin only", () => {
    expect(isAdmin("admin")).toBe(true);
    expect(isAdmin("user")).toBe(false);
    expect(isAdmin("Admin")).toBe(false);
    expect(isAdmin(undefined)).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });

  it("lives under /console, never under the services' /admin prefix", () => {
    expect(CONSOLE_PAGES.map((p) => p.href)).toEqual([
      "/console",
      "/console/users",
      "/console/moderation",
      "/console/audit",
    ]);
  });
});
