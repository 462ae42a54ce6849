/** Who is signed in, their profile, and the clients, shared with every page. */
import { type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { AuthClient, type Registration, type User } from "./api/auth";
import { type Profile, ProfileClient } from "./api/profile";

export type SessionStatus = "loading" | "anonymous" | "signed-in";

export interface Session {
  status: SessionStatus;
  user: User | null;
  profile: Profile | null;
  auth: AuthClient;
  profiles: ProfileClient;
  signIn(login: string, password: string): Promise<void>;
  register(registration: Registration): Promise<void>;
  signOut(): Promise<void>;
  /** Replace the profile everywhere on the page (after an upload or an edit). */
  setProfile(profile: Profile): void;
  reloadProfile(): Promise<Profile | null>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside <SessionProvider>");
  return session;
}

// One client per page load: the access token lives here, in memory only.
const defaultAuth = new AuthClient();
// The first refresh runs once per page load, even when React mounts effects twice in development.
let bootstrap: Promise<boolean> | null = null;

export function SessionProvider({ children, auth = defaultAuth }: { children: ReactNode; auth?: AuthClient }) {
  const profiles = useMemo(() => new ProfileClient(auth), [auth]);
  const [status, setStatus] = useState<SessionStatus>(auth.signedIn ? "signed-in" : "loading");
  const [user, setUser] = useState<User | null>(null);
  const [profile, setProfile] = useState<Profile | null>(null);

  const load = useCallback(async () => {
    const [me, mine] = await Promise.all([auth.me(), profiles.me().catch(() => null)]);
    setUser(me);
    setProfile(mine);
    setStatus("signed-in");
  }, [auth, profiles]);

  useEffect(() => {
    const unsubscribe = auth.onChange((signedIn) => {
      if (!signedIn) {
        setStatus("anonymous");
        setUser(null);
        setProfile(null);
      }
    });
    bootstrap ??= auth.signedIn ? Promise.resolve(true) : auth.refresh();
    let live = true;
    bootstrap
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
      signIn: async (login, password) => {
        await auth.login(login, password);
        await load();
      },
      register: async (registration) => {
        await auth.register(registration);
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
    }),
    [status, user, profile, auth, profiles, load],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
