/** Who is signed in, their profile, and the clients, shared with every page. */
import { createContext, useContext } from "react";
import type { AccountClient } from "./api/account";
import type { AdminClient } from "./api/admin";
import type { AuthClient, LoginResult } from "./api/auth";
import type { ProfileClient } from "./api/profile";
import type { Profile, Registration, User } from "./api/types";

export type SessionStatus = "loading" | "anonymous" | "signed-in";

export interface Session {
  status: SessionStatus;
  user: User | null;
  profile: Profile | null;
  auth: AuthClient;
  profiles: ProfileClient;
  account: AccountClient;
  /** The admin routes (403 for anyone whose token is not an admin's). */
  admin: AdminClient;
  /** The first step; `mfaRequired` means: ask for a code and call `completeMfa`. */
  signIn: (login: string, password: string) => Promise<LoginResult>;
  completeMfa: (mfaToken: string, code: string) => Promise<void>;
  /** Load the account after a sign-in made directly through `auth` (a passkey). */
  completeSignIn: () => Promise<void>;
  register: (registration: Registration) => Promise<void>;
  signOut: () => Promise<void>;
  /** Replace the profile everywhere on the page (after an upload or an edit). */
  setProfile: (profile: Profile) => void;
  reloadProfile: () => Promise<Profile | null>;
  /** Re-read `/auth/me` (after MFA or e-mail changes). */
  reloadUser: () => Promise<User | null>;
  setUser: (user: User) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside <SessionProvider>");
  return session;
}
