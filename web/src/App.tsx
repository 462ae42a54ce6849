import { type ReactNode, useEffect } from "react";
import { Header } from "./components/Header";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { ProfilePage } from "./pages/Profile";
import { Register } from "./pages/Register";
import { SignIn } from "./pages/SignIn";
import { navigate, useLocation } from "./router";
import { SessionProvider, useSession } from "./session";

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
};

function Routes() {
  const path = useLocation().split("?")[0];
  useEffect(() => {
    document.title = `${TITLES[path] ?? "Not found"} · Profile pictures`;
  }, [path]);
  switch (path) {
    case "/":
      return (
        <Protected>
          <Home />
        </Protected>
      );
    case "/profile":
      return (
        <Protected>
          <ProfilePage />
        </Protected>
      );
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
    </SessionProvider>
  );
}
