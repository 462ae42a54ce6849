import { navigate, useLocation } from "../router";
import { Link } from "./Link";
import { useSession } from "../session";
import { Avatar } from "./Avatar";
import { isAdmin } from "../features/admin/access";

export function Header() {
  const { status, user, profile, signOut } = useSession();
  const path = useLocation().split("?")[0];
  const name = profile?.display_name || user?.username || "";
  const current = (href: string) => (path === href ? "page" : undefined);
  return (
    <header className="site-header">
      <Link href="/" className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Profile pictures
      </Link>
      <nav aria-label="Main">
        {status === "signed-in" ? (
          <>
            <Link href="/" aria-current={current("/")}>
              Home
            </Link>
            <Link href="/profile" aria-current={current("/profile")} className="nav-profile">
              <Avatar avatar={profile?.avatar ?? null} name={name} size={28} decorative />
              <span>Profile</span>
            </Link>
            <Link href="/settings/security" aria-current={path.startsWith("/settings") ? "page" : undefined}>
              Settings
            </Link>
            {isAdmin(user?.role) && (
              <Link href="/console" aria-current={path.startsWith("/console") ? "page" : undefined}>
                Console
              </Link>
            )}
            <button
              type="button"
              className="button button-quiet"
              onClick={() => {
                // signOut never rejects: it forgets the session here even when the server is unreachable.
                void signOut().then(() => {
                  navigate("/sign-in", { replace: true });
                });
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          // While the session loads, the signed-out links hold their place unseen (`visibility: hidden` also
          // keeps them out of the tab order and the accessibility tree): on a narrow screen they wrap the header
          // onto a second row, and appearing late would push the whole page down (layout shift).
          <span className={status === "anonymous" ? "nav-links" : "nav-links nav-pending"}>
            <Link href="/sign-in" aria-current={current("/sign-in")}>
              Sign in
            </Link>
            <Link href="/register" className="button button-small" aria-current={current("/register")}>
              Create account
            </Link>
          </span>
        )}
      </nav>
    </header>
  );
}
