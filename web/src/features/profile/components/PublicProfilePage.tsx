import { useEffect, useState } from "react";
import type { PublicProfile as PublicProfileData } from "../../../api/types";
import { Avatar } from "../../../components/Avatar";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { NotFound } from "../../../pages/NotFound";
import { setDescription } from "../../../head";
import { PUBLIC_AVATAR_SIZE, prefetchedProfile, profileAnswer } from "../early";

type State =
  | { step: "loading" }
  | { step: "found"; profile: PublicProfileData }
  | { step: "missing" }
  | { step: "error"; message: string };

const LOADING: State = { step: "loading" };

/** Ours to link: only http(s) (normalizeProfile already dropped anything else); shown without the scheme. */
function websiteLabel(url: string): string {
  return url.replace(/^https?:\/\//i, "").replace(/\/$/, "");
}

/** `/u/{username}`: anyone's public profile. Unknown and private profiles look the same: not found. */
export function PublicProfilePage({ username }: { username: string }) {
  const { status, profiles, user, profile: mine } = useSession();
  // What was loaded, for which visitor and username: anything else is still loading.
  const [loaded, setLoaded] = useState<{ key: string; state: State } | null>(null);
  const key = `${status}:${username}`;
  // Until then, the profile boot.ts already has (and painted), as it was when this page mounted: it looks the same
  // to every visitor who may see it.
  const [early] = useState<State | null>(() => {
    const found = prefetchedProfile(username);
    return found ? { step: "found", profile: found } : null;
  });
  const state: State = loaded?.key === key ? loaded.state : (early ?? LOADING);

  useEffect(() => {
    // Wait until we know whether someone is signed in: an owner sees their own private profile.
    if (status === "loading") return;
    let live = true;
    const show = (next: State) => {
      if (live) setLoaded({ key: `${status}:${username}`, state: next });
    };
    const answer = profileAnswer(username, status === "signed-in", () => profiles.publicProfile(username));
    answer.then(
      (found) => {
        show(found ? { step: "found", profile: found } : { step: "missing" });
      },
      (e: unknown) => {
        show({ step: "error", message: e instanceof Error ? e.message : "Something went wrong." });
      },
    );
    return () => {
      live = false;
    };
  }, [status, profiles, username]);

  useEffect(() => {
    if (state.step === "found") {
      const name = state.profile.display_name || `@${state.profile.username}`;
      document.title = `${name} · Profile pictures`;
      setDescription(state.profile.bio ? `${name}: ${state.profile.bio}` : `${name}'s profile picture and profile.`);
    } else if (state.step === "missing") document.title = "Profile not found · Profile pictures";
  }, [state]);

  if (state.step === "missing") {
    return (
      <NotFound
        title="Profile not found"
        message="There is no public profile at this address. It may be private, or it may not exist."
      />
    );
  }
  if (state.step !== "found") {
    return (
      <main id="main" className="page" aria-busy={state.step === "loading"}>
        {state.step === "error" ? <FormAlert message={state.message} /> : <p className="muted loading">Loading…</p>}
      </main>
    );
  }
  const p = state.profile;
  const name = p.display_name || p.username;
  const own = user?.username === p.username;
  return (
    <main id="main" className="page">
      {own && mine?.visibility === "private" && (
        <p className="alert alert-info" data-testid="private-note">
          Your profile is private: only you can see this page.{" "}
          <Link href="/settings/preferences">Change who can see it</Link>
        </p>
      )}
      <article className="card public-profile" aria-labelledby="public-name" data-testid="public-profile">
        <Avatar avatar={p.avatar} name={name} size={PUBLIC_AVATAR_SIZE} className="profile-avatar" priority />
        <div>
          <h1 id="public-name">{name}</h1>
          <p className="muted">@{p.username}</p>
          {p.bio && <p className="bio">{p.bio}</p>}
          {(p.location || p.website) && (
            <dl className="facts">
              {p.location && (
                <div>
                  <dt>Location</dt>
                  <dd>{p.location}</dd>
                </div>
              )}
              {p.website && (
                <div>
                  <dt>Website</dt>
                  <dd>
                    <a href={p.website} rel="nofollow noopener noreferrer ugc" target="_blank">
                      {websiteLabel(p.website)}
                      <span className="visually-hidden"> (opens in a new tab)</span>
                    </a>
                  </dd>
                </div>
              )}
            </dl>
          )}
          {own && (
            <p>
              <Link href="/profile">Edit your profile</Link>
            </p>
          )}
        </div>
      </article>
    </main>
  );
}
