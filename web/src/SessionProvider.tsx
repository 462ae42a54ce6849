/** Signs the visitor in (or not) once per page load and shares the session with every page. */
import { type ReactNode, useCallback, useEffect, useMemo, useState } from "react";
import { AccountClient } from "./api/account";
import { AdminClient } from "./api/admin";
import type { AuthClient } from "./api/auth";
import { ProfileClient } from "./api/profile";
import { bootstrapSession, defaultAuth } from "./bootstrap";
import type { Profile, User } from "./api/types";
import { type Session, SessionContext, type SessionStatus } from "./session";
import { applyTheme } from "./theme";

export function SessionProvider({ children, auth = defaultAuth }: { children: ReactNode; auth?: AuthClient }) {
  const profiles = useMemo(() => new ProfileClient(auth), [auth]);
  const account = useMemo(() => new AccountClient(auth), [auth]);
  const admin = useMemo(() => new AdminClient(auth), [auth]);
  // Always "loading" at first, even when boot.ts's refresh has already answered: the first render is what the
  // prerendered HTML shows, so hydration finds the same markup; the effect below moves on at once.
  const [status, setStatus] = useState<SessionStatus>("loading");
  const [user, setUser] = useState<User | null>(null);
  const [profile, setProfile] = useState<Profile | null>(null);

  const load = useCallback(async () => {
    const [me, mine] = await Promise.all([auth.me(), profiles.me().catch(() => null)]);
    setUser(me);
    setProfile(mine);
    setStatus("signed-in");
  }, [auth, profiles]);

  // The signed-in person's theme applies to the whole app as soon as their profile is known.
  const theme = profile?.preferences?.theme;
  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);

  useEffect(() => {
    const unsubscribe = auth.onChange((signedIn) => {
      if (!signedIn) {
        setStatus("anonymous");
        setUser(null);
        setProfile(null);
      }
    });
    let live = true;
    bootstrapSession(auth)
      .then(async (ok) => {
        if (!live) return;
        if (ok) await load();
        else setStatus("anonymous");
      })
      .catch(() => live && setStatus("anonymous"));
    return () => {
      live = false;
      unsubscribe();
    };
  }, [auth, load]);

  const session = useMemo<Session>(
    () => ({
      status,
      user,
      profile,
      auth,
      profiles,
      account,
      admin,
      signIn: async (login, password) => {
        const result = await auth.login(login, password);
        if (!result.mfaRequired) await load();
        return result;
      },
      completeMfa: async (mfaToken, code) => {
        await auth.loginMfa(mfaToken, code);
        await load();
      },
      completeSignIn: load,
      register: async (registration) => {
        await auth.register(registration);
        // A new account has no second factor yet: the login answers tokens.
        await auth.login(registration.username, registration.password);
        await load();
      },
      signOut: async () => {
        await auth.logout().catch(() => undefined);
        setStatus("anonymous");
        setUser(null);
        setProfile(null);
      },
      setProfile,
      reloadProfile: async () => {
        const fresh = await profiles.me().catch(() => null);
        if (fresh) setProfile(fresh);
        return fresh;
      },
      reloadUser: async () => {
        const fresh = await auth.me().catch(() => null);
        if (fresh) setUser(fresh);
        return fresh;
      },
      setUser,
    }),
    [status, user, profile, auth, profiles, account, admin, load],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
