import { afterEach, describe, expect, it } from "vitest";
import type { ProfileClient } from "../../api/profile";
import type { PublicProfile } from "../../api/types";
import { PUBLIC_AVATAR_SIZE, prefetchPublicProfile, takePrefetchedProfile } from "./early";

const ada = {
  username: "ada",
  display_name: "Ada",
  avatar: {
    secure_url: "https://res.example/ada.jpg",
    variants: { "64": "https://res.example/64.jpg", "512": "https://res.example/512.jpg" },
  },
} as unknown as PublicProfile;

function client(found: PublicProfile | null, asked: string[] = []): ProfileClient {
  return {
    publicProfile: async (username: string) => {
      asked.push(username);
      return found;
    },
  } as unknown as ProfileClient;
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  document.head.innerHTML = "";
  void takePrefetchedProfile("ada", false);
  void takePrefetchedProfile("ada", true);
});

describe("the public profile asked for before the app loads", () => {
  it("is asked for once the session is known, then handed to the page once", async () => {
    const asked: string[] = [];
    prefetchPublicProfile("ada", Promise.resolve(false), client(ada, asked), document);
    expect(takePrefetchedProfile("ada", false)).toBeNull(); // the session is not known yet
    await settled();

    expect(asked).toEqual(["ada"]);
    expect(await takePrefetchedProfile("ada", false)).toBe(ada);
    expect(takePrefetchedProfile("ada", false)).toBeNull();
  });

  it("is not used for another username or another visitor", async () => {
    prefetchPublicProfile("ada", Promise.resolve(true), client(ada), document);
    await settled();

    expect(takePrefetchedProfile("bob", true)).toBeNull();
    expect(takePrefetchedProfile("ada", false)).toBeNull();
    expect(takePrefetchedProfile("ada", true)).not.toBeNull();
  });

  it("asks anonymously when the first refresh fails", async () => {
    prefetchPublicProfile("ada", Promise.reject(new Error("offline")), client(ada), document);
    await settled();

    expect(takePrefetchedProfile("ada", false)).not.toBeNull();
  });

  it("preloads the picture with the srcset and sizes the page's <img> uses", async () => {
    prefetchPublicProfile("ada", Promise.resolve(false), client(ada), document);
    await settled();

    const link = document.head.querySelector<HTMLLinkElement>('link[rel="preload"]');
    expect(link?.as).toBe("image");
    expect(link?.getAttribute("imagesrcset")).toBe("https://res.example/64.jpg 64w, https://res.example/512.jpg 512w");
    expect(link?.getAttribute("imagesizes")).toBe(`${PUBLIC_AVATAR_SIZE}px`);
    expect(link?.getAttribute("fetchpriority")).toBe("high");
  });

  it("preloads nothing for a profile without a picture, or none at all", async () => {
    prefetchPublicProfile("ada", Promise.resolve(false), client({ ...ada, avatar: null }), document);
    prefetchPublicProfile("bob", Promise.resolve(false), client(null), document);
    await settled();

    expect(document.head.querySelector("link")).toBeNull();
  });
});
