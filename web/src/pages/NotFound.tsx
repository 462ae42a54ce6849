import { Link } from "../router";

export function NotFound() {
  return (
    <main id="main" className="page">
      <section className="card">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link href="/">Go to the home page</Link>
      </section>
    </main>
  );
}
