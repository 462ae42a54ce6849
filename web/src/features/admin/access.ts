/** Who may open the console, and its pages (the header links the first one for admins only). */
export const CONSOLE_PAGES = [
  { href: "/console", label: "Overview" },
  { href: "/console/users", label: "Users" },
  { href: "/console/moderation", label: "Moderation" },
  { href: "/console/audit", label: "Audit log" },
] as const;

/** Only administrators see the console (the services answer 403 anyway): `role` from `/auth/me`. */
export function isAdmin(role: string | null | undefined): boolean {
  return role === "admin";
}
