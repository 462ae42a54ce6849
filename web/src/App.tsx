import { type ReactNode, useEffect } from "react";
import { Header } from "./components/Header";
import { ConfirmEmail } from "./features/account/components/ConfirmEmail";
import { NotMe } from "./features/account/components/NotMe";
import { PasskeyStepUp } from "./features/passkeys";
import { StepUpDialog } from "./features/stepup/StepUpDialog";
import { ForgotPassword } from "./features/auth/components/ForgotPassword";
import { Goodbye } from "./features/account/components/Goodbye";
import { AuditPage } from "./features/admin/components/AuditPage";
import { ConsoleHome } from "./features/admin/components/ConsoleHome";
import { ModerationQueue } from "./features/admin/components/ModerationQueue";
import { UsersPage } from "./features/admin/components/UsersPage";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { ProfilePage } from "./features/profile/components/ProfilePage";
import { PublicProfilePage } from "./features/profile/components/PublicProfilePage";
import { Register } from "./features/auth/components/Register";
import { ResetPassword } from "./features/auth/components/ResetPassword";
import { SignIn } from "./features/auth/components/SignIn";
import { AccountSettings } from "./features/account/components/AccountSettings";
import { ActivitySettings } from "./features/account/components/ActivitySettings";
import { PreferencesSettings } from "./features/account/components/PreferencesSettings";
import { SecuritySettings } from "./features/account/components/SecuritySettings";
import { navigate, publicProfileUsername, useLocation } from "./router";
import { SessionProvider } from "./SessionProvider";
import { useSession } from "./session";

/** A page for signed-in people: anyone else goes to sign in, and comes back here afterwards. */
function Protected({ children }: { children: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  useEffect(() => {
    if (status === "anonymous") navigate(`/sign-in?next=${encodeURIComponent(location)}`, { replace: true });
  }, [status, location]);
  if (status !== "signed-in") {
    return (
      <main id="main" className="page" aria-busy="true">
        <p className="muted loading">Loading…</p>
      </main>
    );
  }
  return <>{children}</>;
}

const TITLES: Record<string, string> = {
  "/": "Home",
  "/profile": "Your profile",
  "/sign-in": "Sign in",
  "/register": "Create your account",
  "/settings/security": "Security",
  "/settings/account": "Account",
  "/settings/preferences": "Preferences and privacy",
  "/settings/activity": "Account activity",
  "/forgot-password": "Forgot your password?",
  "/reset-password": "Choose a new password",
  "/confirm-email": "Confirm your new email address",
  "/goodbye": "Account deleted",
  "/not-me": "Secure your account",
  "/console": "Admin",
  "/console/users": "Users · Admin",
  "/console/moderation": "Moderation · Admin",
  "/console/audit": "Audit log · Admin",
};

const PROTECTED: Record<string, () => ReactNode> = {
  "/": () => <Home />,
  "/profile": () => <ProfilePage />,
  "/settings": () => <SecuritySettings />,
  "/settings/security": () => <SecuritySettings />,
  "/settings/account": () => <AccountSettings />,
  "/settings/preferences": () => <PreferencesSettings />,
  "/settings/activity": () => <ActivitySettings />,
  // The e-mail change is confirmed by the account that asked for it: signed out, sign in first, then back here.
  "/confirm-email": () => <ConfirmEmail />,
  // The admin area (not /admin: that prefix is the services' admin API behind the proxy). Each page shows
  // "Not allowed" to anyone whose role is not admin.
  "/console": () => <ConsoleHome />,
  "/console/users": () => <UsersPage />,
  "/console/moderation": () => <ModerationQueue />,
  "/console/audit": () => <AuditPage />,
};

function Routes() {
  const path = useLocation().split("?")[0];
  const username = publicProfileUsername(path);
  useEffect(() => {
    // A public profile page sets its own title once it knows the name.
    if (username === null) document.title = `${TITLES[path] ?? "Not found"} · Profile pictures`;
    else document.title = `@${username} · Profile pictures`;
  }, [path, username]);
  if (username !== null) return <PublicProfilePage key={username} username={username} />;
  const page = PROTECTED[path];
  if (page) return <Protected>{page()}</Protected>;
  switch (path) {
    case "/forgot-password":
      return <ForgotPassword />;
    case "/reset-password":
      return <ResetPassword />;
    case "/goodbye":
      return <Goodbye />;
    case "/not-me":
      return <NotMe />;
    case "/sign-in":
      return <SignIn />;
    case "/register":
      return <Register />;
    default:
      return <NotFound />;
  }
}

export function App() {
  return (
    <SessionProvider>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <Routes />
      <StepUpDialog />
      <PasskeyStepUp />
    </SessionProvider>
  );
}
