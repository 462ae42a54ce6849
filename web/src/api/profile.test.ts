import { describe, expect, it } from "vitest";
import { avatarSources } from "../components/avatarImage";
import { AuthClient } from "./auth";
import { ProfileClient, avatarVariants, confirmUrl, resolvePreferences, safeWebsite } from "./profile";

describe("avatarVariants", () => {
  it("reads the service's {size: url} map, smallest first", () => {
    expect(avatarVariants({ "256": "u256", "64": "u64", "128": "u128" })).toEqual([
      { width: 64, url: "u64" },
      { width: 128, url: "u128" },
      { width: 256, url: "u256" },
    ]);
  });

  it("skips keys that are not a size", () => {
    expect(avatarVariants({ original: "o", "64": "a", "0": "z" })).toEqual([{ width: 64, url: "a" }]);
  });
});

describe("avatar sources", () => {
  it("offers every eager size in srcset and a src at least as large as shown", () => {
    const avatar = { secure_url: "orig", variants: { "64": "a", "128": "b", "256": "c" } };
    expect(avatarSources(avatar, 100)).toEqual({ src: "b", srcSet: "a 64w, b 128w, c 256w" });
    expect(avatarSources(avatar, 1000).src).toBe("c");
    expect(avatarSources({ ...avatar, variants: {} }, 100)).toEqual({ src: "orig" });
  });

  it("confirms next to the status URL", () => {
    expect(confirmUrl({ status_url: "/profiles/me/avatar/uploads/ab12/" })).toBe(
      "/profiles/me/avatar/uploads/ab12/confirm",
    );
  });
});

describe("profile settings", () => {
  it("fills in the preference defaults for a profile saved before they existed", () => {
    expect(resolvePreferences(undefined)).toEqual({ theme: "system", notifications: { email: true, sms: false } });
    expect(resolvePreferences({ theme: "dark" })).toEqual({
      theme: "dark",
      notifications: { email: true, sms: false },
    });
    expect(resolvePreferences({ theme: "light", notifications: { email: false, sms: true } })).toEqual({
      theme: "light",
      notifications: { email: false, sms: true },
    });
  });

  it("never keeps a website that is not http(s)", async () => {
    expect(safeWebsite("javascript:alert(1)")).toBeNull();
    expect(safeWebsite("data:text/html,hi")).toBeNull();
    expect(safeWebsite("https://ok.example/x")).toBe("https://ok.example/x");
    const fn = (async (input: string) => {
      if (String(input) === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t" }));
      return new Response(JSON.stringify({ username: "ann", website: "javascript:alert(1)", location: "Oslo" }));
    }) as typeof fetch;
    const profile = await new ProfileClient(new AuthClient(fn, null)).me();
    expect(profile).toMatchObject({ username: "ann", website: null, location: "Oslo" });
  });

  it("reads public profiles signed out, sends the token signed in, and maps 404 to null", async () => {
    const seen: [string, string | null][] = [];
    const fn = (async (input: string, init: RequestInit = {}) => {
      const url = String(input);
      seen.push([url, new Headers(init.headers).get("Authorization")]);
      if (url === "/auth/login") return new Response(JSON.stringify({ access_token: "t1" }));
      if (url === "/profiles/ghost") return new Response(JSON.stringify({ status: 404 }), { status: 404 });
      return new Response(
        JSON.stringify({ username: "ann", display_name: null, bio: "hi", avatar: null, location: "Oslo" }),
      );
    }) as typeof fetch;
    const auth = new AuthClient(fn, null);
    const profiles = new ProfileClient(auth);
    expect(await profiles.publicProfile("ghost")).toBeNull();
    expect((await profiles.publicProfile("ann"))?.location).toBe("Oslo");
    await auth.login("ann", "pw");
    await profiles.publicProfile("ann");
    expect(seen.filter(([u]) => u.startsWith("/profiles/"))).toEqual([
      ["/profiles/ghost", null],
      ["/profiles/ann", null],
      ["/profiles/ann", "Bearer t1"],
    ]);
  });

  it("saves preferences partially", async () => {
    let body: unknown = null;
    const fn = (async (input: string, init: RequestInit = {}) => {
      if (String(input) === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t" }));
      body = JSON.parse(init.body as string);
      expect(init.method).toBe("PATCH");
      return new Response(JSON.stringify({ theme: "light", notifications: { email: true, sms: false } }));
    }) as typeof fetch;
    const profiles = new ProfileClient(new AuthClient(fn, null));
    expect((await profiles.updatePreferences({ theme: "light" })).theme).toBe("light");
    expect(body).toEqual({ theme: "light" });
  });
});
