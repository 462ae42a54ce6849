import type { ReactNode } from "react";
import { Link } from "../../../components/Link";
import { SideNavLayout } from "../../../components/SideNavLayout";
import { useSession } from "../../../session";
import { CONSOLE_PAGES, isAdmin } from "../access";

/** The console's pages share a side navigation and the admin check; each page has one h1. */
export function AdminLayout({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  const { user } = useSession();
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
    <SideNavLayout label="Admin" pages={CONSOLE_PAGES} title={title} intro={intro} wide>
      {children}
    </SideNavLayout>
  );
}
