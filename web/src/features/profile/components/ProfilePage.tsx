import { type FormEvent, useEffect, useId, useState } from "react";
import { ApiError } from "../../../api/problem";
import { Avatar } from "../../../components/Avatar";
import { AvatarUploader } from "../../avatar/components/AvatarUploader";
import { Field } from "../../../components/Field";
import { Link } from "../../../router";
import { useSession } from "../../../session";

const NAME_MAX = 80;
const BIO_MAX = 500;
const LOCATION_MAX = 200;
const WEBSITE_MAX = 200;

/** "" or an absolute http(s) address (what the service accepts); a missing scheme gets https://. */
export function websiteInput(raw: string): { value: string | null; error?: string } {
  const text = raw.trim();
  if (!text) return { value: null };
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { value: null, error: "Use a web address starting with https://." };
    if (!url.hostname.includes(".") && url.hostname !== "localhost")
      return { value: null, error: "Enter a full web address, like https://example.com." };
    if (withScheme.length > WEBSITE_MAX) return { value: null, error: `At most ${WEBSITE_MAX} characters.` };
    return { value: withScheme };
  } catch {
    return { value: null, error: "Enter a full web address, like https://example.com." };
  }
}

function ProfileForm() {
  const { profile, profiles, setProfile } = useSession();
  const [displayName, setDisplayName] = useState(profile?.display_name ?? "");
  const [bio, setBio] = useState(profile?.bio ?? "");
  const [location, setLocation] = useState(profile?.location ?? "");
  const [website, setWebsite] = useState(profile?.website ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const bioId = useId();

  useEffect(() => {
    setDisplayName(profile?.display_name ?? "");
    setBio(profile?.bio ?? "");
    setLocation(profile?.location ?? "");
    setWebsite(profile?.website ?? "");
  }, [profile?.display_name, profile?.bio, profile?.location, profile?.website]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const site = websiteInput(website);
    if (site.error) {
      setErrors({ website: site.error });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const updated = await profiles.update({
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
        bio: bio.trim(),
        location: location.trim(),
        website: site.value,
      });
      setProfile({ ...updated, avatar: updated.avatar ?? profile?.avatar ?? null });
      setSaved("Saved.");
    } catch (e) {
      const fields = e instanceof ApiError ? e.fieldMessages() : {};
      setErrors(Object.keys(fields).length > 0 ? fields : { form: e instanceof Error ? e.message : "Could not save." });
    } finally {
      setBusy(false);
    }
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
        <button type="submit" className="button" disabled={busy}>
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
  const { user, profile, profiles, setProfile } = useSession();
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const name = profile?.display_name || user?.username || "";

  const remove = async () => {
    if (!profile) return;
    setRemoving(true);
    setRemoveError(null);
    try {
      await profiles.removeAvatar();
      setProfile({ ...profile, avatar: null });
    } catch (e) {
      setRemoveError(e instanceof Error ? e.message : "Could not remove the picture.");
    } finally {
      setRemoving(false);
    }
  };

  return (
    <main id="main" className="page">
      <h1 className="page-title">Your profile</h1>
      <div className="profile-grid">
        <section className="card" aria-labelledby="picture-title">
          <h2 id="picture-title">Profile picture</h2>
          <div className="current-avatar">
            <Avatar avatar={profile?.avatar ?? null} name={name} size={160} className="profile-avatar" />
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
                <button type="button" className="button button-quiet" onClick={remove} disabled={removing}>
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
