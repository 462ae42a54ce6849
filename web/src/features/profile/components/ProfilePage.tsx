import { type FormEvent, useEffect, useId, useState } from "react";
import { ApiError } from "../../../api/problem";
import { Avatar } from "../../../components/Avatar";
import { AvatarUploader } from "../../avatar/components/AvatarUploader";
import { Field } from "../../../components/Field";
import { Link } from "../../../components/Link";
import { WEBSITE_MAX, websiteInput } from "../website";
import { UNDER_REVIEW, noticeMessage, pendingCaption } from "../moderation";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";

const NAME_MAX = 80;
const BIO_MAX = 500;
const LOCATION_MAX = 200;

function ProfileForm() {
  const { profile, profiles, setProfile } = useSession();
  const stored = [profile?.display_name ?? "", profile?.bio ?? "", profile?.location ?? "", profile?.website ?? ""];
  const [displayName, setDisplayName] = useState(stored[0]);
  const [bio, setBio] = useState(stored[1]);
  const [location, setLocation] = useState(stored[2]);
  const [website, setWebsite] = useState(stored[3]);
  // When the saved profile changes (this form's save, or a reload), the fields show it: adjusted while
  // rendering, as React recommends, rather than in an effect that would render the stale values first.
  const [shown, setShown] = useState(stored.join("\n"));
  if (shown !== stored.join("\n")) {
    setShown(stored.join("\n"));
    setDisplayName(stored[0]);
    setBio(stored[1]);
    setLocation(stored[2]);
    setWebsite(stored[3]);
  }
  const [saved, setSaved] = useState<string | null>(null);
  const { busy, waiting, error, setError, run } = useSubmit(
    async (site: string | null) => {
      const updated = await profiles.update({
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
        bio: bio.trim(),
        location: location.trim(),
        website: site,
      });
      setProfile({ ...updated, avatar: updated.avatar ?? profile?.avatar ?? null });
      setSaved("Saved.");
    },
    (e): Record<string, string> => {
      const fields = e instanceof ApiError ? e.fieldMessages() : {};
      return Object.keys(fields).length > 0 ? fields : { form: e instanceof Error ? e.message : "Could not save." };
    },
  );
  const errors = error ?? {};
  const bioId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const site = websiteInput(website);
    if (site.error) setError({ website: site.error });
    else void run(site.value);
  };

  return (
    <form onSubmit={submit} className="profile-form" aria-labelledby="details-title">
      <h2 id="details-title">About you</h2>
      <Field
        label="Display name"
        name="display_name"
        maxLength={NAME_MAX}
        autoComplete="nickname"
        hint="How your name appears to others."
        value={displayName}
        error={errors.display_name}
        onChange={(e) => setDisplayName(e.target.value)}
      />
      <div className={`field${errors.bio ? " field-invalid" : ""}`}>
        <label htmlFor={bioId}>Bio</label>
        <textarea
          id={bioId}
          name="bio"
          rows={4}
          maxLength={BIO_MAX}
          value={bio}
          aria-describedby={`${bioId}-count${errors.bio ? ` ${bioId}-error` : ""}`}
          aria-invalid={errors.bio ? true : undefined}
          onChange={(e) => setBio(e.target.value)}
        />
        <p className="field-hint" id={`${bioId}-count`}>
          {bio.length} / {BIO_MAX} characters
        </p>
        {errors.bio && (
          <p className="field-error" id={`${bioId}-error`}>
            {errors.bio}
          </p>
        )}
      </div>
      <Field
        label="Location or address"
        name="location"
        maxLength={LOCATION_MAX}
        autoComplete="street-address"
        hint="Optional. A town, or a full address: shown on your public profile."
        value={location}
        error={errors.location}
        onChange={(e) => setLocation(e.target.value)}
      />
      <Field
        label="Website"
        name="website"
        inputMode="url"
        maxLength={WEBSITE_MAX}
        autoComplete="url"
        placeholder="https://example.com"
        hint="Optional. Starting with https://."
        value={website}
        error={errors.website}
        onChange={(e) => setWebsite(e.target.value)}
      />
      {errors.form && (
        <p className="alert alert-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={busy || waiting > 0}>
          {busy ? "Saving…" : "Save"}
        </button>
        <span role="status" className="muted">
          {saved}
        </span>
      </div>
    </form>
  );
}

export function ProfilePage() {
  const { user, profile, profiles, setProfile, reloadProfile } = useSession();
  const name = profile?.display_name || user?.username || "";
  const removal = useSubmit(
    async () => {
      if (!profile) return;
      await profiles.removeAvatar();
      setProfile({ ...profile, avatar: null });
    },
    (e) => (e instanceof Error ? e.message : "Could not remove the picture."),
  );
  const removing = removal.busy;
  const pending = profile?.pending_avatar ?? null;
  const notice = profile?.moderation_notice ?? null;
  // A review can take hours: while a picture waits, coming back to the tab re-reads the profile (no polling).
  const waiting = pending !== null;
  useEffect(() => {
    if (!waiting) return;
    const onVisible = () => {
      if (document.visibilityState === "visible") void reloadProfile();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [waiting, reloadProfile]);
  const removeError = removal.error;

  return (
    <main id="main" className="page">
      <h1 className="page-title">Your profile</h1>
      <div className="profile-grid">
        <section className="card" aria-labelledby="picture-title">
          <h2 id="picture-title">Profile picture</h2>
          {notice && (
            <p
              className={`alert ${notice.kind === "taken_down" ? "alert-error" : "alert-warning"}`}
              data-testid="moderation-notice"
              data-kind={notice.kind}
            >
              {noticeMessage(notice)}
            </p>
          )}
          <div className="current-avatar">
            <div className="avatar-pair">
              <figure className="avatar-figure">
                <Avatar avatar={profile?.avatar ?? null} name={name} size={160} className="profile-avatar" />
                {pending && <figcaption className="muted">Live now</figcaption>}
              </figure>
              {pending && (
                <figure className="avatar-figure pending-avatar" data-testid="pending-avatar">
                  <Avatar avatar={pending} name={name} alt="Your new picture, under review" size={160} />
                  <figcaption>
                    <span className="badge badge-review">{UNDER_REVIEW}</span>
                    <span className="muted pending-caption">{pendingCaption(profile?.avatar != null)}</span>
                  </figcaption>
                </figure>
              )}
            </div>
            <div>
              <p className="strong">{name}</p>
              {user && <p className="muted">@{user.username}</p>}
              {user && (
                <p>
                  <Link href={`/u/${encodeURIComponent(user.username)}`}>
                    {profile?.visibility === "private" ? "View your profile (private)" : "View your public profile"}
                  </Link>
                </p>
              )}
              {profile?.avatar && (
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => void removal.run()}
                  disabled={removing}
                >
                  {removing ? "Removing…" : "Remove picture"}
                </button>
              )}
              {removeError && (
                <p className="alert alert-error" role="alert">
                  {removeError}
                </p>
              )}
            </div>
          </div>
          <AvatarUploader />
        </section>
        <section className="card">
          <ProfileForm />
        </section>
      </div>
    </main>
  );
}
