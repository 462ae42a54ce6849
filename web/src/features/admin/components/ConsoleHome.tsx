import { Link } from "../../../components/Link";
import { AdminLayout } from "./AdminLayout";

const SECTIONS = [
  {
    href: "/console/users",
    title: "Users",
    text: "Find an account by e-mail or username, see its sign-in security, suspend or unsuspend it, take its picture down.",
  },
  {
    href: "/console/moderation",
    title: "Moderation",
    text: "Pictures waiting for review. Approve or reject them, by keyboard or with the buttons.",
  },
  { href: "/console/audit", title: "Audit log", text: "Who did what to which account or picture, and why." },
] as const;

export function ConsoleHome() {
  return (
    <AdminLayout title="Admin" intro="Everything done here is written to the audit log with your name.">
      <ul className="console-sections">
        {SECTIONS.map((s) => (
          <li key={s.href} className="card">
            <h2>
              <Link href={s.href}>{s.title}</Link>
            </h2>
            <p className="muted">{s.text}</p>
          </li>
        ))}
      </ul>
    </AdminLayout>
  );
}
