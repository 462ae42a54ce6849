import type { ReactNode } from "react";
import { useLocation } from "../router";
import { Link } from "./Link";

export interface SideNavPage {
  readonly href: string;
  readonly label: string;
}

/** A page with a side navigation of sibling pages (settings, console); each page has one h1. */
export function SideNavLayout({
  label,
  pages,
  title,
  intro,
  wide = false,
  children,
}: {
  label: string;
  pages: readonly SideNavPage[];
  title: string;
  intro?: string;
  wide?: boolean;
  children: ReactNode;
}) {
  const path = useLocation().split("?")[0];
  return (
    <main id="main" className={wide ? "page page-wide" : "page"}>
      <div className="settings-layout">
        <nav aria-label={label} className="settings-nav">
          <ul>
            {pages.map((p) => (
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
