import type { ReactNode } from "react";
import { SideNavLayout } from "../../../components/SideNavLayout";

const SETTINGS_PAGES = [
  { href: "/settings/security", label: "Security" },
  { href: "/settings/account", label: "Account" },
  { href: "/settings/preferences", label: "Preferences and privacy" },
  { href: "/settings/activity", label: "Activity" },
] as const;

/** The settings pages share a side navigation; each page has one h1. */
export function SettingsLayout({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  return (
    <SideNavLayout label="Settings" pages={SETTINGS_PAGES} title={title} intro={intro}>
      {children}
    </SideNavLayout>
  );
}
