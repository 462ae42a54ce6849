import { describe, expect, it } from "vitest";
import { avatarSources } from "../components/Avatar";
import { confirmUrl, normalizeProfile, normalizeVariants } from "./profile";

describe("normalizeVariants", () => {
  it("reads the service's {size: url} map, smallest first", () => {
    expect(normalizeVariants({ "256": "u256", "64": "u64", "128": "u128" })).toEqual([
      { width: 64, url: "u64" },
      { width: 128, url: "u128" },
      { width: 256, url: "u256" },
    ]);
  });

  it("reads a list of eager results", () => {
    expect(normalizeVariants([{ width: 128, secure_url: "b" }, { width: 64, url: "a" }])).toEqual([
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
      confirmUrl({ upload_url: "", fields: {}, public_id: "", expires_at: "", status_url: "/profiles/me/avatar/uploads/ab12/" }),
    ).toBe("/profiles/me/avatar/uploads/ab12/confirm");
  });
});
