import { Link } from "../../../components/Link";

export function Goodbye() {
  return (
    <main id="main" className="auth-page">
      <section className="card auth-card" aria-labelledby="goodbye-title">
        <h1 id="goodbye-title">Your account is being deleted</h1>
        <p role="status">
          You've been signed out everywhere. Your profile and pictures are being removed; this takes a few moments.
        </p>
        <p className="muted">
          Changed your mind about the app? You're welcome to <Link href="/register">create a new account</Link> any
          time.
        </p>
      </section>
    </main>
  );
}
