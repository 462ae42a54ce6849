import { type ReactNode, Suspense, lazy, useEffect } from "react";
import { Header } from "./components/Header";
import { PasskeyStepUp } from "./features/passkeys";
import { StepUpDialog } from "./features/stepup/StepUpDialog";
import { ForgotPassword } from "./features/auth/components/ForgotPassword";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { PublicProfilePage } from "./features/profile/components/PublicProfilePage";
import { Register } from "./features/auth/components/Register";
import { SignIn } from "./features/auth/components/SignIn";
import { navigate, useLocation } from "./router";
import { publicProfileUsername } from "./paths";
import { pageHead, setDescription } from "./head";
import { SessionProvider } from "./SessionProvider";
import { useSession } from "./session";

// Pages only a signed-in person (or an e-mailed link) reaches load on demand: the public pages (sign-in,
// registration, password reset request, public profiles) ship without the uploader, settings and admin code,
// which is most of the app, so a first visit paints sooner.
const ConfirmEmail = lazy(() =>
  import("./features/account/components/ConfirmEmail").then((m) => ({ default: m.ConfirmEmail })),
);
const NotMe = lazy(() => import("./features/account/components/NotMe").then((m) => ({ default: m.NotMe })));
const Goodbye = lazy(() => import("./features/account/components/Goodbye").then((m) => ({ default: m.Goodbye })));
const AuditPage = lazy(() => import("./features/admin/components/AuditPage").then((m) => ({ default: m.AuditPage })));
const ConsoleHome = lazy(() =>
  import("./features/admin/components/ConsoleHome").then((m) => ({ default: m.ConsoleHome })),
);
const ModerationQueue = lazy(() =>
  import("./features/admin/components/ModerationQueue").then((m) => ({ default: m.ModerationQueue })),
);
const UsersPage = lazy(() => import("./features/admin/components/UsersPage").then((m) => ({ default: m.UsersPage })));
const ProfilePage = lazy(() =>
  import("./features/profile/components/ProfilePage").then((m) => ({ default: m.ProfilePage })),
);
const ResetPassword = lazy(() =>
  import("./features/auth/components/ResetPassword").then((m) => ({ default: m.ResetPassword })),
);
const AccountSettings = lazy(() =>
  import("./features/account/components/AccountSettings").then((m) => ({ default: m.AccountSettings })),
);
const ActivitySettings = lazy(() =>
  import("./features/account/components/ActivitySettings").then((m) => ({ default: m.ActivitySettings })),
);
const PreferencesSettings = lazy(() =>
  import("./features/account/components/PreferencesSettings").then((m) => ({ default: m.PreferencesSettings })),
);
const SecuritySettings = lazy(() =>
  import("./features/account/components/SecuritySettings").then((m) => ({ default: m.SecuritySettings })),
);

/** A page for signed-in people: anyone else goes to sign in, and comes back here afterwards. */
function Protected({ children }: { children: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  useEffect(() => {
    if (status === "anonymous") navigate(`/sign-in?next=${encodeURIComponent(location)}`, { replace: true });
  }, [status, location]);
  if (status !== "signed-in") return <Loading />;
  return <>{children}</>;
}

/** What a page shows while the session or its code is on the way. */
function Loading() {
  return (
    <main id="main" className="page" aria-busy="true">
      <p className="muted loading">Loading…</p>
    </main>
  );
}

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
    const head = pageHead(path, username);
    document.title = head.title;
    setDescription(head.description);
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
      <Suspense fallback={<Loading />}>
        <Routes />
      </Suspense>
      <StepUpDialog />
      <PasskeyStepUp />
    </SessionProvider>
  );
}
