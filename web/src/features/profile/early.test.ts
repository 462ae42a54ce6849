import { afterEach, describe, expect, it } from "vitest";
import type { ProfileClient } from "../../api/profile";
import type { PublicProfile } from "../../api/types";
import { PUBLIC_AVATAR_SIZE, prefetchPublicProfile, prefetchedProfile, profileAnswer } from "./early";

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
  document.body.innerHTML = "";
  void profileAnswer("ada", false, async () => null);
});

describe("the public profile asked for before the app loads", () => {
  it("is asked for at once, without waiting for the session, and handed to the page once", async () => {
    const asked: string[] = [];
    void prefetchPublicProfile("ada", client(ada, asked), document);

    expect(asked).toEqual(["ada"]);
    expect(await profileAnswer("ada", false, never)).toBe(ada);
    const again: string[] = [];
    expect(await profileAnswer("ada", false, () => client(ada, again).publicProfile("ada"))).toBe(ada);
    expect(again).toEqual(["ada"]); // taken once: the next visit asks for itself
  });

  it("serves a signed-in visitor too: a profile they may see looks the same to everyone", async () => {
    void prefetchPublicProfile("ada", client(ada), document);

    expect(await profileAnswer("ada", true, never)).toBe(ada);
  });

  it("is asked again with the session when a signed-in visitor was told not found (their own private profile)", async () => {
    void prefetchPublicProfile("ada", client(null), document);
    const asked: string[] = [];

    expect(await profileAnswer("ada", true, () => client(ada, asked).publicProfile("ada"))).toBe(ada);
    expect(asked).toEqual(["ada"]);
  });

  it("stays not found for a signed-out visitor", async () => {
    void prefetchPublicProfile("ada", client(null), document);

    expect(await profileAnswer("ada", false, never)).toBeNull();
  });

  it("is asked again when the prefetch failed, and not used for another username", async () => {
    const failing = { publicProfile: () => Promise.reject(new Error("offline")) } as unknown as ProfileClient;
    void prefetchPublicProfile("ada", failing, document);

    expect(await profileAnswer("bob", false, async () => null)).toBeNull();
    expect(await profileAnswer("ada", false, async () => ada)).toBe(ada);
  });

  it("preloads the picture with the srcset and sizes the page's <img> uses", async () => {
    void prefetchPublicProfile("ada", client(ada), document);
    await settled();

    const link = document.head.querySelector<HTMLLinkElement>('link[rel="preload"]');
    expect(link?.as).toBe("image");
    expect(link?.getAttribute("imagesrcset")).toBe("https://res.example/64.jpg 64w, https://res.example/512.jpg 512w");
    expect(link?.getAttribute("imagesizes")).toBe(`${PUBLIC_AVATAR_SIZE}px`);
    expect(link?.getAttribute("fetchpriority")).toBe("high");
  });

  it("paints the card's top in place of the served page's Loading…, as text, and keeps it for the first render", async () => {
    document.body.innerHTML = '<main id="main" aria-busy="true"><p class="muted loading">Loading…</p></main>';
    const sneaky = { ...ada, display_name: '<img src=x onerror="alert(1)">' } as PublicProfile;
    await prefetchPublicProfile("ada", client(sneaky), document);

    const card = document.querySelector("#main > article.card.public-profile");
    const img = card?.querySelector<HTMLImageElement>("img.avatar.profile-avatar");
    expect(document.querySelector(".loading")).toBeNull();
    expect(card?.querySelector("h1")?.textContent).toBe(sneaky.display_name);
    expect(card?.querySelectorAll("img")).toHaveLength(1); // the name is text, not markup
    expect(card?.querySelector("p")?.textContent).toBe("@ada");
    expect(img?.getAttribute("srcset")).toBe("https://res.example/64.jpg 64w, https://res.example/512.jpg 512w");
    expect(img?.getAttribute("sizes")).toBe(`${PUBLIC_AVATAR_SIZE}px`);
    expect(img?.alt).toBe(`${sneaky.display_name}'s profile picture`);
    expect([img?.width, img?.height]).toEqual([PUBLIC_AVATAR_SIZE, PUBLIC_AVATAR_SIZE]);
    expect(prefetchedProfile("ada")).toBe(sneaky);
    expect(prefetchedProfile("bob")).toBeNull();
  });

  it("leaves the page alone once the app has rendered over the served placeholder", async () => {
    document.body.innerHTML = '<main id="main" aria-busy="true"><p class="muted loading">Loading…</p></main>';
    let answer: (found: PublicProfile | null) => void = () => undefined;
    const pending = { publicProfile: () => new Promise((resolve) => (answer = resolve)) } as unknown as ProfileClient;
    const painted = prefetchPublicProfile("ada", pending, document);
    document.body.innerHTML = '<main id="main"><p>the app</p></main>'; // the app's first render
    answer(ada);
    await painted;

    expect(document.body.innerHTML).toBe('<main id="main"><p>the app</p></main>');
  });

  it("paints nothing for a profile no one may see", async () => {
    document.body.innerHTML = '<main id="main" aria-busy="true"><p class="muted loading">Loading…</p></main>';
    await prefetchPublicProfile("ada", client(null), document);

    expect(document.querySelector(".loading")).not.toBeNull();
    expect(prefetchedProfile("ada")).toBeNull();
  });

  it("preloads nothing for a profile without a picture, or none at all", async () => {
    void prefetchPublicProfile("ada", client({ ...ada, avatar: null }), document);
    void prefetchPublicProfile("bob", client(null), document);
    await settled();

    expect(document.head.querySelector("link")).toBeNull();
  });
});
