import { type FormEvent, useEffect, useId, useState } from "react";
import { ApiError } from "../api/problem";
import { Avatar } from "../components/Avatar";
import { AvatarUploader } from "../components/AvatarUploader";
import { Field } from "../components/Field";
import { useSession } from "../session";

const NAME_MAX = 80;
const BIO_MAX = 500;

function ProfileForm() {
  const { profile, profiles, setProfile } = useSession();
  const [displayName, setDisplayName] = useState(profile?.display_name ?? "");
  const [bio, setBio] = useState(profile?.bio ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const bioId = useId();

  useEffect(() => {
    setDisplayName(profile?.display_name ?? "");
    setBio(profile?.bio ?? "");
  }, [profile?.display_name, profile?.bio]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setSaved(null);
    try {
      const updated = await profiles.update({ display_name: displayName.trim(), bio: bio.trim() });
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
