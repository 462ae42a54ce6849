import { describe, expect, it } from "vitest";
import { publicProfileUsername } from "../../paths";
import { websiteInput } from "../profile/website";
import { groupSecret } from "./setupKey";

describe("account pages' small rules", () => {
  it("reads the username of /u/{username}", () => {
    expect(publicProfileUsername("/u/ann")).toBe("ann");
    expect(publicProfileUsername("/u/ann.b/")).toBe("ann.b");
    expect(publicProfileUsername("/u/%61nn")).toBe("ann");
    expect(publicProfileUsername("/u/")).toBeNull();
    expect(publicProfileUsername("/u/a/b")).toBeNull();
    expect(publicProfileUsername("/u/%E0%A4%A")).toBeNull();
    expect(publicProfileUsername("/profile")).toBeNull();
  });

  it("accepts only http(s) websites, adding https:// when left out", () => {
    expect(websiteInput("")).toEqual({ value: null });
    expect(websiteInput("example.com")).toEqual({ value: "https://example.com" });
    expect(websiteInput("http://example.com/me")).toEqual({ value: "http://example.com/me" });
    expect(websiteInput("javascript:alert(1)").error).toBeDefined();
    expect(websiteInput("not a site").error).toBeDefined();
  });

  it("groups the setup key in fours for typing", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupSecret("ABCDE")).toBe("ABCD E");
  });
});
