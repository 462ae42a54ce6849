import { describe, expect, it } from "vitest";
import { avatarSources } from "../components/Avatar";
import { AuthClient } from "./auth";
import { ProfileClient, confirmUrl, normalizeProfile, normalizeVariants, safeWebsite } from "./profile";

describe("normalizeVariants", () => {
  it("reads the service's {size: url} map, smallest first", () => {
    expect(normalizeVariants({ "256": "u256", "64": "u64", "128": "u128" })).toEqual([
      { width: 64, url: "u64" },
      { width: 128, url: "u128" },
      { width: 256, url: "u256" },
    ]);
  });

  it("reads a list of eager results", () => {
    expect(
      normalizeVariants([
        { width: 128, secure_url: "b" },
        { width: 64, url: "a" },
      ]),
    ).toEqual([
      { width: 64, url: "a" },
      { width: 128, url: "b" },
    ]);
  });
});

describe("normalizeProfile", () => {
  it("keeps the avatar with its sizes and tolerates a null display name", () => {
    const profile = normalizeProfile({
      user_id: "u1",
      username: "ann",
      display_name: null,
      bio: "",
      avatar: { public_id: "p", version: 3, secure_url: "s", width: 10, height: 10, variants: { "64": "a" } },
    });
    expect(profile.display_name).toBe("");
    expect(profile.avatar?.variants).toEqual([{ width: 64, url: "a" }]);
    expect(normalizeProfile({ avatar: null }).avatar).toBeNull();
  });
});

describe("avatar sources", () => {
  it("offers every eager size in srcset and a src at least as large as shown", () => {
    const avatar = normalizeProfile({
      avatar: { secure_url: "orig", variants: { "64": "a", "128": "b", "256": "c" } },
    }).avatar!;
    expect(avatarSources(avatar, 100)).toEqual({ src: "b", srcSet: "a 64w, b 128w, c 256w" });
    expect(avatarSources(avatar, 1000).src).toBe("c");
    expect(avatarSources({ ...avatar, variants: [] }, 100)).toEqual({ src: "orig" });
  });

  it("confirms next to the status URL", () => {
    expect(
      confirmUrl({
        upload_url: "",
        fields: {},
        public_id: "",
        expires_at: "",
        status_url: "/profiles/me/avatar/uploads/ab12/",
      }),
    ).toBe("/profiles/me/avatar/uploads/ab12/confirm");
  });
});

describe("profile settings", () => {
  it("reads location, website, visibility and preferences, with defaults for an older service", () => {
    const old = normalizeProfile({ username: "ann", display_name: "Ann", bio: "", avatar: null });
    expect(old).toMatchObject({ location: "", website: null, visibility: "public" });
    expect(old.preferences).toEqual({ theme: "system", notifications: { email: true, sms: false } });
    const set = normalizeProfile({
      username: "ann",
      location: "Main St 1\nSpringfield",
      website: "https://ann.example",
      visibility: "private",
      preferences: { theme: "dark", notifications: { email: 0, sms: 1 } },
    });
    expect(set).toMatchObject({
      location: "Main St 1\nSpringfield",
      website: "https://ann.example",
      visibility: "private",
    });
    expect(set.preferences).toEqual({ theme: "dark", notifications: { email: false, sms: true } });
  });

  it("never keeps a website that is not http(s)", () => {
    expect(safeWebsite("javascript:alert(1)")).toBeNull();
    expect(safeWebsite("data:text/html,hi")).toBeNull();
    expect(safeWebsite("https://ok.example/x")).toBe("https://ok.example/x");
    expect(normalizeProfile({ website: "javascript:alert(1)" }).website).toBeNull();
  });

  it("reads public profiles signed out, sends the token signed in, and maps 404 to null", async () => {
    const seen: [string, string | null][] = [];
    const fn = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
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
    const fn = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
      if (String(input) === "/auth/refresh") return new Response(JSON.stringify({ access_token: "t" }));
      body = JSON.parse(String(init.body));
      expect(init.method).toBe("PATCH");
      return new Response(JSON.stringify({ theme: "light", notifications: { email: true, sms: false } }));
    }) as typeof fetch;
    const profiles = new ProfileClient(new AuthClient(fn, null));
    expect((await profiles.updatePreferences({ theme: "light" })).theme).toBe("light");
    expect(body).toEqual({ theme: "light" });
  });
});
