import { type ReactNode, useId, useState } from "react";
import { type ResolvedPreferences, resolvePreferences } from "../../../api/profile";
import type { Theme, Visibility } from "../../../api/types";
import { FormAlert } from "../../../components/FormAlert";
import { Link } from "../../../components/Link";
import { useSession } from "../../../session";
import { useSubmit } from "../../../hooks/useSubmit";
import { applyTheme } from "../../../theme";
import { SettingsLayout } from "./SettingsLayout";

function Choice({
  name,
  value,
  checked,
  onChange,
  label,
  description,
  disabled,
}: {
  name: string;
  value: string;
  checked: boolean;
  onChange: () => void;
  label: string;
  description?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="choice">
      <input
        type="radio"
        id={id}
        name={name}
        value={value}
        checked={checked}
        onChange={onChange}
        disabled={disabled}
        aria-describedby={description ? `${id}-d` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {description && (
        <p className="field-hint" id={`${id}-d`}>
          {description}
        </p>
      )}
    </div>
  );
}

const THEMES: { value: Theme; label: string; description: string }[] = [
  { value: "system", label: "Same as my device", description: "Light or dark, following your system setting." },
  { value: "light", label: "Light", description: "Always light." },
  { value: "dark", label: "Dark", description: "Always dark." },
];

/**
 * Every choice is saved as soon as it is made (and the theme applied at once); a failed save puts the
 * previous choice back and says so.
 */
function PreferencesForm() {
  const { profile, profiles, setProfile } = useSession();
  const preferences = resolvePreferences(profile?.preferences);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const save = async (next: ResolvedPreferences, message: string) => {
    if (!profile) return;
    const before = profile;
    setError(null);
    setStatus("Saving…");
    applyTheme(next.theme);
    setProfile({ ...profile, preferences: next });
    try {
      const saved = await profiles.updatePreferences({ theme: next.theme, notifications: next.notifications });
      setProfile({ ...profile, preferences: saved });
      setStatus(message);
    } catch (e) {
      applyTheme(resolvePreferences(before.preferences).theme);
      setProfile(before);
      setStatus(null);
      setError(`Your change wasn't saved: ${e instanceof Error ? e.message : "please try again."}`);
    }
  };

  return (
    <section className="card settings-card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">Preferences</h2>
      <FormAlert message={error} />
      <fieldset>
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <Choice
            key={t.value}
            name="theme"
            value={t.value}
            label={t.label}
            description={t.description}
            checked={preferences.theme === t.value}
            onChange={() => void save({ ...preferences, theme: t.value }, `Theme saved: ${t.label.toLowerCase()}.`)}
          />
        ))}
      </fieldset>
      <fieldset>
        <legend>Security notifications</legend>
        <p className="field-hint">How we tell you about sign-ins, password and email changes.</p>
        {(
          [
            ["email", "By email"],
            ["sms", "By text message (SMS)"],
          ] as const
        ).map(([key, label]) => (
          <label className="check" key={key}>
            <input
              type="checkbox"
              name={`notify_${key}`}
              checked={preferences.notifications[key]}
              onChange={(e) =>
                void save(
                  { ...preferences, notifications: { ...preferences.notifications, [key]: e.target.checked } },
                  `${label}: ${e.target.checked ? "on" : "off"}.`,
                )
              }
            />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      <p role="status" className="status-line muted" data-testid="prefs-status">
        {status}
      </p>
    </section>
  );
}

function PrivacyForm() {
  const { user, profile, profiles, setProfile } = useSession();
  const [status, setStatus] = useState<string | null>(null);
  // The choice shows at once (a controlled radio would otherwise snap back until the save answers).
  const [pending, setPending] = useState<Visibility>("public");
  const { busy, error, run } = useSubmit(
    async (next: Visibility) => {
      if (!profile) return;
      const saved = await profiles.update({ visibility: next });
      setProfile({ ...saved, avatar: saved.avatar ?? profile.avatar });
      setStatus(next === "private" ? "Your profile is now private." : "Your profile is now public.");
    },
    (e) => {
      setStatus(null);
      return `Your change wasn't saved: ${e instanceof Error ? e.message : "please try again."}`;
    },
  );
  const visibility = busy ? pending : (profile?.visibility ?? "public");

  const change = (next: Visibility) => {
    if (!profile || next === visibility) return;
    setPending(next);
    setStatus("Saving…");
    void run(next);
  };

  const username = user?.username ?? profile?.username;
  return (
    <section className="card settings-card" aria-labelledby="privacy-title">
      <h2 id="privacy-title">Privacy</h2>
      <FormAlert message={error} />
      <fieldset>
        <legend>Who can see your profile</legend>
        <Choice
          name="visibility"
          value="public"
          label="Public"
          description="Anyone with the link can see your name, picture, bio, location and website."
          checked={visibility === "public"}
          disabled={busy}
          onChange={() => {
            change("public");
          }}
        />
        <Choice
          name="visibility"
          value="private"
          label="Private"
          description="Only you. Everyone else gets a “not found” page, and your picture isn't listed anywhere public."
          checked={visibility === "private"}
          disabled={busy}
          onChange={() => {
            change("private");
          }}
        />
      </fieldset>
      <p role="status" className="status-line muted" data-testid="privacy-status">
        {status}
      </p>
      {username && (
        <p>
          <Link href={`/u/${encodeURIComponent(username)}`}>See your public profile</Link>
        </p>
      )}
    </section>
  );
}

export function PreferencesSettings() {
  return (
    <SettingsLayout title="Preferences and privacy">
      <PreferencesForm />
      <PrivacyForm />
    </SettingsLayout>
  );
}
