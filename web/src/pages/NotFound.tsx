import { Link } from "../components/Link";

export function NotFound({
  title = "Page not found",
  message = "There is nothing at this address.",
}: {
  title?: string;
  message?: string;
}) {
  return (
    <main id="main" className="page">
      <section className="card" data-testid="not-found">
        <h1>{title}</h1>
        <p className="muted">{message}</p>
        <Link href="/">Go to the home page</Link>
      </section>
    </main>
  );
}
