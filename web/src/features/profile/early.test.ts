import { afterEach, describe, expect, it } from "vitest";
import type { ProfileClient } from "../../api/profile";
import type { PublicProfile } from "../../api/types";
import { PUBLIC_AVATAR_SIZE, prefetchPublicProfile, profileAnswer } from "./early";

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
const never = (): Promise<PublicProfile | null> => {
  throw new Error("the page asked again");
};

afterEach(() => {
  document.head.innerHTML = "";
  void profileAnswer("ada", false, async () => null);
});

describe("the public profile asked for before the app loads", () => {
  it("is asked for at once, without waiting for the session, and handed to the page once", async () => {
    const asked: string[] = [];
    prefetchPublicProfile("ada", client(ada, asked), document);

    expect(asked).toEqual(["ada"]);
    expect(await profileAnswer("ada", false, never)).toBe(ada);
    const again: string[] = [];
    expect(await profileAnswer("ada", false, () => client(ada, again).publicProfile("ada"))).toBe(ada);
    expect(again).toEqual(["ada"]); // taken once: the next visit asks for itself
  });

  it("serves a signed-in visitor too: a profile they may see looks the same to everyone", async () => {
    prefetchPublicProfile("ada", client(ada), document);

    expect(await profileAnswer("ada", true, never)).toBe(ada);
  });

  it("is asked again with the session when a signed-in visitor was told not found (their own private profile)", async () => {
    prefetchPublicProfile("ada", client(null), document);
    const asked: string[] = [];

    expect(await profileAnswer("ada", true, () => client(ada, asked).publicProfile("ada"))).toBe(ada);
    expect(asked).toEqual(["ada"]);
  });

  it("stays not found for a signed-out visitor", async () => {
    prefetchPublicProfile("ada", client(null), document);

    expect(await profileAnswer("ada", false, never)).toBeNull();
  });

  it("is asked again when the prefetch failed, and not used for another username", async () => {
    const failing = { publicProfile: () => Promise.reject(new Error("offline")) } as unknown as ProfileClient;
    prefetchPublicProfile("ada", failing, document);

    expect(await profileAnswer("bob", false, async () => null)).toBeNull();
    expect(await profileAnswer("ada", false, async () => ada)).toBe(ada);
  });

  it("preloads the picture with the srcset and sizes the page's <img> uses", async () => {
    prefetchPublicProfile("ada", client(ada), document);
    await settled();

    const link = document.head.querySelector<HTMLLinkElement>('link[rel="preload"]');
    expect(link?.as).toBe("image");
    expect(link?.getAttribute("imagesrcset")).toBe("https://res.example/64.jpg 64w, https://res.example/512.jpg 512w");
    expect(link?.getAttribute("imagesizes")).toBe(`${PUBLIC_AVATAR_SIZE}px`);
    expect(link?.getAttribute("fetchpriority")).toBe("high");
  });

  it("preloads nothing for a profile without a picture, or none at all", async () => {
    prefetchPublicProfile("ada", client({ ...ada, avatar: null }), document);
    prefetchPublicProfile("bob", client(null), document);
    await settled();

    expect(document.head.querySelector("link")).toBeNull();
  });
});
