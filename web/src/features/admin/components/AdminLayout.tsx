import type { ReactNode } from "react";
import { Link } from "../../../components/Link";
import { useLocation } from "../../../router";
import { useSession } from "../../../session";
import { CONSOLE_PAGES, isAdmin } from "../access";

/** The console's pages share a side navigation and the admin check; each page has one h1. */
export function AdminLayout({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  const { user } = useSession();
  const path = useLocation().split("?")[0];
  if (!isAdmin(user?.role)) {
    return (
      <main id="main" className="page" data-testid="console-not-allowed">
        <h1 className="page-title">Not allowed</h1>
        <p>This area is for administrators. Your account can't open it.</p>
        <p>
          <Link href="/">Back to the home page</Link>
        </p>
      </main>
    );
  }
  return (
    <main id="main" className="page page-wide">
      <div className="settings-layout">
        <nav aria-label="Admin" className="settings-nav">
          <ul>
            {CONSOLE_PAGES.map((p) => (
              <li key={p.href}>
                <Link href={p.href} aria-current={path === p.href ? "page" : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings-content">
          <h1 className="page-title">{title}</h1>
          {intro && <p className="muted settings-intro">{intro}</p>}
          {children}
        </div>
      </div>
    </main>
  );
}
