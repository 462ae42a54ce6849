import type { ReactNode } from "react";
import { useLocation } from "../../../router";
import { Link } from "../../../components/Link";

const SETTINGS_PAGES = [
  { href: "/settings/security", label: "Security" },
  { href: "/settings/account", label: "Account" },
  { href: "/settings/preferences", label: "Preferences and privacy" },
  { href: "/settings/activity", label: "Activity" },
] as const;

/** The settings pages share a side navigation; each page has one h1. */
export function SettingsLayout({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  const path = useLocation().split("?")[0];
  return (
    <main id="main" className="page">
      <div className="settings-layout">
        <nav aria-label="Settings" className="settings-nav">
          <ul>
            {SETTINGS_PAGES.map((p) => (
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
